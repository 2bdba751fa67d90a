/// The gateway's settings, with defaults (sizes in bytes, times as `Duration`).
public struct GatewayConfiguration: Sendable {
    /// `RUNNER_SERVICE_TOKEN`: sent as `authorization: Bearer …` to the Runner when set.
    public var runnerServiceToken: String?
    /// `EXT_GATEWAY_ALLOWED_ORIGINS`: origins allowed for CORS (exact match); none by default.
    public var allowedOrigins: Set<String>
    /// `EXT_GATEWAY_MAX_BODY_BYTES` (default 10 MiB).
    public var maxBodyBytes: Int
    /// `EXT_GATEWAY_MAX_RESPONSE_BYTES` (default 10 MiB): the Runner's whole JSON reply.
    public var maxResponseBytes: Int
    /// `EXT_GATEWAY_TIMEOUT_MS` (default 5000): one deadline for all attempts.
    public var timeout: Duration
    /// Retries after the first attempt (for GET/HEAD or requests with a client idempotency key).
    public var maxRetries: Int

    public init(runnerServiceToken: String? = nil, allowedOrigins: Set<String> = [], maxBodyBytes: Int = 10 << 20,
                maxResponseBytes: Int = 10 << 20, timeout: Duration = .seconds(5), maxRetries: Int = 2) {
        self.runnerServiceToken = runnerServiceToken
        self.allowedOrigins = allowedOrigins
        self.maxBodyBytes = maxBodyBytes
        self.maxResponseBytes = maxResponseBytes
        self.timeout = timeout
        self.maxRetries = maxRetries
    }
}
