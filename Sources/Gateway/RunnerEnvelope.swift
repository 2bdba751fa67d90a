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

extension RunnerRequest {
    /// The envelope as JSON bytes (keys sorted at every level), written by hand: the same JSON a
    /// `JSONEncoder` with `.sortedKeys` makes, without its cost on every call.
    public func encoded() -> [UInt8] {
        var json = JSONWriter(capacity: 512 + http.body_b64.utf8.count)
        json.raw("{")
        json.key("context", first: true)
        json.raw("{")
        json.key("config", first: true); json.object(context.config)
        json.key("content_hash"); json.string(context.content_hash)
        json.key("extension_id"); json.string(context.extension_id)
        json.key("install_id"); json.string(context.install_id)
        json.key("request_id"); json.string(context.request_id)
        json.key("tenant_id"); json.string(context.tenant_id)
        json.key("version_id"); json.string(context.version_id)
        json.raw("}")
        json.key("http")
        json.raw("{")
        json.key("body_b64", first: true); json.string(http.body_b64)
        json.key("headers"); json.object(http.headers)
        json.key("method"); json.string(http.method)
        json.key("params"); json.object(http.params)
        json.key("path"); json.string(http.path)
        json.key("query"); json.object(http.query)
        json.raw("}")
        json.key("limits")
        json.raw("{")
        json.key("timeout_ms", first: true); json.integer(limits.timeout_ms)
        json.raw("}")
        json.key("user")
        json.raw("{")
        json.key("user_id", first: true); json.optionalString(user.user_id)
        json.raw("}")
        json.raw("}")
        return json.bytes
    }
}

extension RunnerResponse {
    /// Parses the Runner's JSON reply: `status` an integer, `headers` an object of strings,
    /// `body_b64` a string or null, `error` kept when it is a string; anything else is invalid.
    public static func parse(_ bytes: some Collection<UInt8>) throws -> RunnerResponse {
        func invalid(_ what: String) -> JSONValue.ParseError { JSONValue.ParseError(offset: 0, expected: what) }
        guard case .object(let members) = try JSONValue.parse(bytes), case .number(let statusText)? = members["status"],
            let status = Int(statusText)
        else { throw invalid("an object with an integer status") }
        var headers: [String: String]?
        switch members["headers"] {
        case .object(let fields)?:
            var strings: [String: String] = [:]
            for (name, value) in fields {
                guard let text = value.string else { throw invalid("string header values") }
                strings[name] = text
            }
            headers = strings
        case .null?, nil: headers = nil
        default: throw invalid("headers as an object")
        }
        var body: String?
        switch members["body_b64"] {
        case .string(let text)?: body = text
        case .null?, nil: body = nil
        default: throw invalid("body_b64 as a string")
        }
        return RunnerResponse(status: status, headers: headers, body_b64: body, error: members["error"]?.string)
    }
}
