import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// How the gateway reaches the Runner. A seam owned by the gateway, so its logic is tested against
/// fakes as well as against a real HTTP Runner on loopback.
public protocol RunnerClient: Sendable {
    /// POSTs `body` (the envelope JSON) to `/v1/execute` with `headers`, within `timeout`, reading at
    /// most `maxResponseBytes`; returns the HTTP status and body, or throws `RunnerFailure`.
    func execute(body: [UInt8], headers: [(String, String)], timeout: Duration, maxResponseBytes: Int) async throws -> (status: Int, body: [UInt8])

    /// The same call as a future that completes on `eventLoop`, for callers that run there (the
    /// gateway's retry loop and its event-loop answers). Failures are `RunnerFailure`s.
    func execute(on eventLoop: any EventLoop, body: [UInt8], headers: [(String, String)], deadline: NIODeadline, maxResponseBytes: Int) -> EventLoopFuture<RunnerReply>
}

extension RunnerClient {
    /// Runs the async `execute` in a task (clients without an event-loop API: AsyncHTTPClient, fakes).
    public func execute(on eventLoop: any EventLoop, body: [UInt8], headers: [(String, String)], deadline: NIODeadline,
                        maxResponseBytes: Int) -> EventLoopFuture<RunnerReply> {
        let timeout = Duration.nanoseconds((deadline - .now()).nanoseconds)
        return eventLoop.makeFutureWithTask {
            let (status, body) = try await execute(body: body, headers: headers, timeout: timeout, maxResponseBytes: maxResponseBytes)
            return RunnerReply(status: status, body: body)
        }
    }
}

/// The Runner's HTTP answer: status and body (the envelope reply, parsed by the gateway).
public struct RunnerReply: Sendable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// A failed Runner call, as the gateway's retry and status mapping see it.
public enum RunnerFailure: Error, Sendable, Equatable {
    case timeout
    case connection(String)
    case tooLarge
}

/// The Runner over HTTP (AsyncHTTPClient), at `RUNNER_BASE_URL`.
public struct HTTPRunnerClient: RunnerClient {
    public let baseURL: String
    private let client: HTTPClient

    /// One process-wide client whose pool keeps up to 64 connections per Runner host alive: the
    /// shared client's soft limit of 8 made bursts open and close extra connections per call.
    /// Distributed tracing is off (nothing here bootstraps a tracer; its per-request bookkeeping
    /// was a measured cost).
    public static let pooledClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        configuration.tracing.tracer = nil
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    public init(baseURL: String, client: HTTPClient = HTTPRunnerClient.pooledClient) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.client = client
    }

    public func execute(body: [UInt8], headers: [(String, String)], timeout: Duration, maxResponseBytes: Int) async throws -> (status: Int, body: [UInt8]) {
        var request = HTTPClientRequest(url: baseURL + "/v1/execute")
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let nanoseconds = Int64(timeout / .nanoseconds(1))
        do {
            let response = try await client.execute(request, deadline: .now() + .nanoseconds(nanoseconds))
            let collected = try await response.body.collect(upTo: maxResponseBytes)
            return (Int(response.status.code), Array(buffer: collected))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw RunnerFailure.timeout
        } catch is NIOTooManyBytesError {
            throw RunnerFailure.tooLarge
        } catch let failure as RunnerFailure {
            throw failure
        } catch {
            throw RunnerFailure.connection(String(describing: error).prefix(200).description)
        }
    }
}
