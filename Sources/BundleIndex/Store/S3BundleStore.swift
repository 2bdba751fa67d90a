import CCurl
import Foundation
import NIOPosix

/// A bundle store in S3-compatible object storage (MinIO, SeaweedFS, AWS S3), over libcurl with
/// its built-in AWS SigV4 signing. The only file that calls libcurl.
///
/// Transfers run on NIO's blocking-IO thread pool, never on the event loops. Downloads stream into
/// the destination file while hashing, abort as soon as they pass the size limit, and are retried
/// under `RetrySchedule` (connection errors, 5xx, truncated bodies) within one overall deadline;
/// 403 and 404 are reported at once.
public struct S3BundleStore: BundleStore {
    public let location: S3Location
    public let retry: RetrySchedule
    /// The deadline for one operation, all attempts and waits included.
    public let deadline: Duration
    private let jitter: @Sendable () -> Double
    private let threadPool: NIOThreadPool

    public init(location: S3Location, retry: RetrySchedule = RetrySchedule(), deadline: Duration = .seconds(60),
                jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }, threadPool: NIOThreadPool = .singleton) {
        Self.globalInit
        self.location = location
        self.retry = retry
        self.deadline = deadline
        self.jitter = jitter
        self.threadPool = threadPool
    }

    public var label: String { location.label }

    /// curl_global_init is not thread-safe; run it exactly once, before the first handle.
    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public func fetch(key: String, to path: String, limit: Int64) async throws -> FetchedObject {
        let url = location.url(for: key)
        let transfer = try await withRetries("GET \(key)") { timeout in
            let transfer = try Transfer(destination: path, limit: limit)
            try await self.perform(.get, url: url, transfer: transfer, timeout: timeout)
            return transfer
        }
        return FetchedObject(size: transfer.received, hash: ContentHash(digest: transfer.hasher.finish()))
    }

    public func read(key: String, limit: Int) async throws -> [UInt8]? {
        let url = location.url(for: key)
        do {
            let transfer = try await withRetries("GET \(key)") { timeout in
                let transfer = try Transfer(destination: nil, limit: Int64(limit))
                try await self.perform(.get, url: url, transfer: transfer, timeout: timeout)
                return transfer
            }
            return transfer.memory
        } catch let error as BundleIndexError where error.code == .notFound {
            return nil
        }
    }

    public func put(key: String, from path: String) async throws {
        let url = location.url(for: key)
        do {
            _ = try await withRetries("HEAD \(key)") { timeout in
                let transfer = try Transfer(destination: nil, limit: 0)
                try await self.perform(.head, url: url, transfer: transfer, timeout: timeout)
                return transfer
            }
            throw BundleIndexError(.alreadyExists, "\(key): already in \(label)")
        } catch let error as BundleIndexError where error.code == .notFound {
            // Absent: upload it.
        }
        let bodyHash = try FileDigest.contentHash(ofFileAt: path).hex
        _ = try await withRetries("PUT \(key)") { timeout in
            let transfer = try Transfer(destination: nil, limit: 1 << 20)
            transfer.upload = (path: path, sha256: bodyHash)
            try await self.perform(.put, url: url, transfer: transfer, timeout: timeout)
            return transfer
        }
    }

    public func probe() async throws {
        _ = try await withRetries("HEAD bucket") { timeout in
            let transfer = try Transfer(destination: nil, limit: 0)
            try await self.perform(.head, url: self.location.bucketURL, transfer: transfer, timeout: timeout)
            return transfer
        }
    }

    // MARK: retries

    private func withRetries<T>(_ what: String, _ attempt: (Duration) async throws -> T) async throws -> T {
        let clock = ContinuousClock()
        let start = clock.now
        var number = 0
        while true {
            number += 1
            let remaining = deadline - (clock.now - start)
            guard remaining > .zero else {
                throw BundleIndexError(.unavailable, "\(what) on \(label): deadline of \(deadline) passed after \(number - 1) attempts")
            }
            do {
                return try await attempt(remaining)
            } catch let failure as StoreFailureError {
                let retryable = RetrySchedule.isRetryable(failure.failure)
                if retryable, let wait = retry.delay(afterAttempt: number, remaining: deadline - (clock.now - start), jitter: jitter()) {
                    try await Task.sleep(for: wait)
                    continue
                }
                throw failure.bundleError(what: what, store: label, attempts: number)
            }
        }
    }

    // MARK: one transfer

    private enum Method { case get, head, put }

    private func perform(_ method: Method, url: String, transfer: Transfer, timeout: Duration) async throws {
        let location = self.location
        let failure: StoreFailure? = try await threadPool.runIfActive {
            Self.performBlocking(method, url: url, transfer: transfer, timeout: timeout, location: location)
        }
        if let failure { throw StoreFailureError(failure: failure) }
    }

    private static func performBlocking(_ method: Method, url: String, transfer: Transfer, timeout: Duration, location: S3Location) -> StoreFailure? {
        guard let handle = curl_easy_init() else { return .connection("curl_easy_init failed") }
        defer { curl_easy_cleanup(handle) }
        let milliseconds = max(1, Int(timeout / .milliseconds(1)))
        uiserve_curl_setopt_ptr(handle, CURLOPT_URL, url)
        uiserve_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        uiserve_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, milliseconds)
        uiserve_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, min(milliseconds, 10_000))
        uiserve_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
        uiserve_curl_setopt_ptr(handle, CURLOPT_AWS_SIGV4, "aws:amz:\(location.region):s3")
        uiserve_curl_setopt_ptr(handle, CURLOPT_USERPWD, "\(location.accessKey):\(location.secretKey)")
        if let caFile = location.caFile { uiserve_curl_setopt_ptr(handle, CURLOPT_CAINFO, caFile) }
        // libcurl 7.88 does not add x-amz-content-sha256 itself; S3 requires it.
        var headers: UnsafeMutablePointer<curl_slist>? = nil
        headers = curl_slist_append(headers, "x-amz-content-sha256: \(transfer.upload?.sha256 ?? "UNSIGNED-PAYLOAD")")
        defer { curl_slist_free_all(headers) }
        uiserve_curl_setopt_ptr(handle, CURLOPT_HTTPHEADER, headers)
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        transfer.handle = handle
        uiserve_curl_setopt_write(handle, CURLOPT_WRITEFUNCTION) { pointer, size, count, user in
            Unmanaged<Transfer>.fromOpaque(user!).takeUnretainedValue().receive(pointer, size * count)
        }
        uiserve_curl_setopt_ptr(handle, CURLOPT_WRITEDATA, context)
        var file: UnsafeMutablePointer<FILE>? = nil
        defer { if let file { fclose(file) } }
        switch method {
        case .get:
            break
        case .head:
            uiserve_curl_setopt_long(handle, CURLOPT_NOBODY, 1)
        case .put:
            guard let upload = transfer.upload, let opened = fopen(upload.path, "rb") else { return .connection("cannot open upload file") }
            file = opened
            var info = stat()
            stat(upload.path, &info)
            uiserve_curl_setopt_long(handle, CURLOPT_UPLOAD, 1)
            uiserve_curl_setopt_ptr(handle, CURLOPT_READDATA, opened)
            uiserve_curl_setopt_off(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(info.st_size))
        }
        let code = curl_easy_perform(handle)
        var status = 0
        uiserve_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        if let failure = transfer.failure { return failure }
        switch code {
        case CURLE_OK:
            return (200..<300).contains(status) ? nil : .status(status)
        case CURLE_PARTIAL_FILE:
            return .truncated
        default:
            if status >= 300 { return .status(status) }
            return .connection(String(cString: curl_easy_strerror(code)))
        }
    }
}

/// A retry-policy failure carried through `throws`, mapped to `BundleIndexError` at the end.
private struct StoreFailureError: Error {
    let failure: StoreFailure

    func bundleError(what: String, store: String, attempts: Int) -> BundleIndexError {
        switch failure {
        case .status(404): BundleIndexError(.notFound, "\(what): not found in \(store)")
        case .status(401), .status(403): BundleIndexError(.forbidden, "\(what): access denied by \(store) (HTTP 403; check the credentials)")
        case .tooLarge: BundleIndexError(.tooLarge, "\(what): larger than the bundle size limit")
        case .status(let code): BundleIndexError(.unavailable, "\(what): HTTP \(code) from \(store) after \(attempts) attempt\(attempts == 1 ? "" : "s")")
        case .truncated: BundleIndexError(.unavailable, "\(what): body truncated by \(store) after \(attempts) attempts")
        case .connection(let message): BundleIndexError(.unavailable, "\(what): \(message) (\(store), \(attempts) attempt\(attempts == 1 ? "" : "s"))")
        }
    }
}

/// The state of one libcurl transfer, reached from the C write callback through an opaque pointer.
/// Used by one thread at a time (the pool thread running `curl_easy_perform`, then the caller).
private final class Transfer: @unchecked Sendable {
    let fd: Int32
    let limit: Int64
    let hasher = LibCrypto.SHA256()
    var memory: [UInt8] = []
    var received: Int64 = 0
    var failure: StoreFailure?
    var upload: (path: String, sha256: String)?
    var handle: UnsafeMutableRawPointer?
    private var successStatus: Bool?

    /// `destination` nil keeps the body in memory.
    init(destination: String?, limit: Int64) throws {
        if let destination {
            fd = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw BundleIndexError(.io, "\(destination): cannot create (\(String(cString: strerror(errno))))") }
        } else {
            fd = -1
        }
        self.limit = limit
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Called by libcurl with each piece of the body; returning less than `count` aborts the transfer.
    func receive(_ pointer: UnsafeMutablePointer<CChar>?, _ count: Int) -> Int {
        if successStatus == nil {
            var status = 0
            uiserve_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            successStatus = (200..<300).contains(status)
        }
        // Error bodies (S3's XML) are read and dropped; they never reach the destination.
        guard successStatus == true, count > 0, let pointer else { return count }
        received += Int64(count)
        guard received <= limit else {
            failure = .tooLarge
            return 0
        }
        let bytes = UnsafeRawBufferPointer(start: pointer, count: count)
        hasher.update(bytes)
        if fd >= 0 {
            if let error = bytes.writeAll(to: fd) {
                failure = .connection("cannot write the download: \(String(cString: strerror(error)))")
                return 0
            }
        } else {
            memory.append(contentsOf: bytes)
        }
        return count
    }
}
