/// Where an S3-compatible bucket is and how to address it, from `BUNDLE_STORE_BASE`
/// (`s3://bucket[/prefix]` with `STORAGE_S3_ENDPOINT`, or `http(s)://host:port/bucket[/prefix]`)
/// and the `STORAGE_S3_*` variables. Pure: builds object URLs, never does IO.
public struct S3Location: Sendable, Equatable {
    /// `scheme://host[:port]` without a trailing slash.
    public var endpoint: String
    public var region: String
    public var bucket: String
    /// Key prefix inside the bucket, without leading or trailing slashes ("" for none).
    public var prefix: String
    public var accessKey: String
    public var secretKey: String
    /// Path-style (`endpoint/bucket/key`, MinIO's usual) or virtual-host (`bucket.host/key`).
    public var forcePathStyle: Bool
    /// A PEM CA file for TLS to a private endpoint.
    public var caFile: String?

    public init(endpoint: String, region: String = "us-east-1", bucket: String, prefix: String = "", accessKey: String, secretKey: String,
                forcePathStyle: Bool = true, caFile: String? = nil) {
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.region = region
        self.bucket = bucket
        self.prefix = prefix.split(separator: "/").joined(separator: "/")
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.forcePathStyle = forcePathStyle
        self.caFile = caFile
    }

    /// Parses `base` with `environment` (the `STORAGE_S3_*` variables); nil when `base` is not an
    /// object-storage location at all (a folder path).
    public static func parse(base: String, environment: [String: String]) throws -> S3Location? {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let endpoint: String
        var rest: Substring
        if base.hasPrefix("s3://") {
            guard let configured = value("STORAGE_S3_ENDPOINT") else {
                throw BundleIndexError(.configuration, "BUNDLE_STORE_BASE=\(base) needs STORAGE_S3_ENDPOINT (e.g. http://minio:9000)")
            }
            endpoint = configured
            rest = base.dropFirst("s3://".count)
        } else if base.hasPrefix("http://") || base.hasPrefix("https://") {
            let scheme = base.hasPrefix("https://") ? "https://" : "http://"
            let afterScheme = base.dropFirst(scheme.count)
            guard let slash = afterScheme.firstIndex(of: "/") else {
                throw BundleIndexError(.configuration, "BUNDLE_STORE_BASE=\(base) must name a bucket: http(s)://host:port/bucket[/prefix]")
            }
            endpoint = scheme + afterScheme[..<slash]
            rest = afterScheme[afterScheme.index(after: slash)...]
        } else {
            return nil
        }
        let parts = rest.split(separator: "/", maxSplits: 1)
        guard let bucket = parts.first.map(String.init), isBucketName(bucket) else {
            throw BundleIndexError(.configuration, "BUNDLE_STORE_BASE=\(base): missing or invalid bucket name")
        }
        guard let accessKey = value("STORAGE_S3_ACCESS_KEY"), let secretKey = value("STORAGE_S3_SECRET_KEY") else {
            throw BundleIndexError(.configuration, "BUNDLE_STORE_BASE=\(base) needs STORAGE_S3_ACCESS_KEY and STORAGE_S3_SECRET_KEY")
        }
        let pathStyle = value("STORAGE_S3_FORCE_PATH_STYLE").map { ["1", "true", "yes"].contains($0.lowercased()) } ?? true
        return S3Location(endpoint: endpoint, region: value("STORAGE_S3_REGION") ?? "us-east-1", bucket: bucket,
                          prefix: parts.count > 1 ? String(parts[1]) : "", accessKey: accessKey, secretKey: secretKey,
                          forcePathStyle: pathStyle, caFile: value("STORAGE_S3_CA_FILE"))
    }

    /// The URL of `key` (a safe relative key), each segment percent-encoded as S3's canonical URI wants.
    public func url(for key: String) -> String {
        let fullKey = prefix.isEmpty ? key : prefix + "/" + key
        let encoded = fullKey.split(separator: "/", omittingEmptySubsequences: false).map { Self.encode($0) }.joined(separator: "/")
        return bucketURL + "/" + encoded
    }

    /// The bucket's own URL (for probes).
    public var bucketURL: String {
        if forcePathStyle { return endpoint + "/" + bucket }
        guard let schemeEnd = endpoint.range(of: "://") else { return endpoint + "/" + bucket }
        return endpoint[..<schemeEnd.upperBound] + bucket + "." + endpoint[schemeEnd.upperBound...]
    }

    /// `host[:port]` for logs; never credentials.
    public var label: String { "s3 \(bucketURL)" + (prefix.isEmpty ? "" : "/" + prefix) }

    /// RFC 3986 unreserved characters pass; every other byte is %XX (upper-case), as SigV4 requires.
    static func encode(_ segment: some StringProtocol) -> String {
        var out = ""
        for byte in segment.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(UnicodeScalar(byte))
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPad2
            }
        }
        return out
    }

    static func isBucketName(_ name: String) -> Bool {
        (3...63).contains(name.count) && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "." }
    }
}

extension String {
    fileprivate var leftPad2: String { count == 1 ? "0" + self : self }
}
