/// The JSON the gateway POSTs to the Runner's `/v1/execute`, and the Runner's answer.
public struct RunnerRequest: Codable, Sendable, Equatable {
    public struct Context: Codable, Sendable, Equatable {
        public var request_id: String
        public var tenant_id: String
        public var extension_id: String
        public var install_id: String
        public var content_hash: String
        public var version_id: String
        public var config: [String: String]
    }

    public struct HTTP: Codable, Sendable, Equatable {
        public var method: String
        public var path: String
        public var query: [String: String]
        public var headers: [String: String]
        public var body_b64: String
        public var params: [String: String]
    }

    public struct Limits: Codable, Sendable, Equatable {
        public var timeout_ms: Int
    }

    public struct User: Codable, Sendable, Equatable {
        public var user_id: String?
    }

    public var context: Context
    public var http: HTTP
    public var limits: Limits
    public var user: User
}

/// The Runner's answer: status, headers and base64 body, or an error.
public struct RunnerResponse: Codable, Sendable, Equatable {
    public var status: Int
    public var headers: [String: String]?
    public var body_b64: String?
    public var error: String?

    public init(status: Int, headers: [String: String]? = nil, body_b64: String? = nil, error: String? = nil) {
        self.status = status
        self.headers = headers
        self.body_b64 = body_b64
        self.error = error
    }
}
