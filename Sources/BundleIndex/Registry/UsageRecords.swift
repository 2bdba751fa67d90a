import Foundation

/// One row of `extension_execution_log`: a gateway call of a tenant's install, as it ended.
public struct ExecutionLogEntry: Sendable, Equatable {
    /// How a call ended, in the log's vocabulary.
    public enum Status: String, Sendable, CaseIterable {
        /// The Runner answered and its answer was passed on (whatever its HTTP status).
        case ok
        /// The Runner failed, refused, reset, answered invalidly or too much.
        case upstreamError = "upstream_error"
        /// The deadline passed.
        case timeout
        /// A rule refused the call before the Runner (endpoint, method, size, rate, quota).
        case policyDenied = "policy_denied"
        /// Anything else (the registry unavailable, an unreadable body).
        case error
    }

    public var id: String
    public var tenantID: String
    public var extensionID: String
    public var versionID: String?
    public var requestID: String
    public var startedAt: Date
    public var finishedAt: Date
    public var status: Status
    public var httpStatus: Int
    public var durationMilliseconds: Int

    public init(id: String = UUID.sequential().uuidString.lowercased(), tenantID: String, extensionID: String, versionID: String?, requestID: String,
                startedAt: Date, finishedAt: Date, status: Status, httpStatus: Int, durationMilliseconds: Int) {
        self.id = id
        self.tenantID = tenantID
        self.extensionID = extensionID
        self.versionID = versionID
        self.requestID = requestID
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.status = status
        self.httpStatus = httpStatus
        self.durationMilliseconds = durationMilliseconds
    }
}

/// An increment of `extension_quota_usage`: what a tenant's calls to one extension added in one
/// window (a UTC day).
public struct QuotaUsage: Sendable, Equatable {
    public var tenantID: String
    public var extensionID: String
    public var windowStart: Date
    public var calls: Int
    public var requestBytes: Int64
    public var responseBytes: Int64

    public init(tenantID: String, extensionID: String, windowStart: Date, calls: Int = 0, requestBytes: Int64 = 0, responseBytes: Int64 = 0) {
        self.tenantID = tenantID
        self.extensionID = extensionID
        self.windowStart = windowStart
        self.calls = calls
        self.requestBytes = requestBytes
        self.responseBytes = responseBytes
    }

    /// The start of the UTC day that holds `date`: the quota window.
    public static func window(containing date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 86_400).rounded(.down) * 86_400)
    }
}
