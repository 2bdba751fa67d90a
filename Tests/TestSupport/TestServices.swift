import BundleIndex
import Foundation

/// The real servers `scripts/test` starts for the suite (see scripts/test-services.sh), and the
/// fault-injecting proxy the S3 tests put in front of SeaweedFS.
public enum TestServices {
    /// SeaweedFS's S3 endpoint and credentials, when the test command started it.
    public static var s3: (endpoint: String, accessKey: String, secretKey: String)? {
        let environment = ProcessInfo.processInfo.environment
        guard let endpoint = environment["UISERVE_TEST_S3_ENDPOINT"], let access = environment["UISERVE_TEST_S3_ACCESS_KEY"],
            let secret = environment["UISERVE_TEST_S3_SECRET_KEY"]
        else { return nil }
        return (endpoint, access, secret)
    }

    /// The PostgreSQL admin URL, when the test command started it.
    public static var postgresURL: String? { ProcessInfo.processInfo.environment["UISERVE_TEST_POSTGRES_URL"] }

    /// A new empty PostgreSQL database (created with psql) and its URL.
    public static func makePostgresDatabase() throws -> String {
        guard let admin = postgresURL else { throw BundleIndexError(.configuration, "PostgreSQL is not running: run the suite with scripts/test") }
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
        let created = try Shell.run("/usr/bin/psql", [admin, "-q", "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE \(name)"])
        guard created.status == 0 else { throw BundleIndexError(.unavailable, "cannot create database \(name): \(created.error)") }
        return String(admin.dropLast("postgres".count)) + name
    }

    /// A fresh bucket (created over SigV4 with curl) and the location for it.
    public static func makeBucket(endpoint: String? = nil, pathStyle: Bool = true, secret: String? = nil, prefix: String = "") throws -> S3Location {
        guard let s3 else { throw BundleIndexError(.configuration, "SeaweedFS is not running: run the suite with scripts/test") }
        let bucket = "t-" + UUID().uuidString.lowercased().prefix(18)
        let create = try Shell.run("/usr/bin/curl", ["-s", "-f", "-o", "/dev/null", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", "\(s3.accessKey):\(s3.secretKey)",
                                                    "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", "-X", "PUT", "\(s3.endpoint)/\(bucket)"])
        guard create.status == 0 else { throw BundleIndexError(.unavailable, "cannot create bucket \(bucket): \(create.error)") }
        return S3Location(endpoint: endpoint ?? s3.endpoint, bucket: String(bucket), prefix: prefix, accessKey: s3.accessKey,
                          secretKey: secret ?? s3.secretKey, forcePathStyle: pathStyle)
    }

    /// A running `scripts/testing/fault_proxy.py`; stopped by `stop()`.
    public final class FaultProxy: @unchecked Sendable {
        public let port: Int
        private let process: Process

        /// Starts the proxy in front of `upstream` (`host:port`) with `mode` and `count` (see the script).
        public init(upstream: String, mode: String, count: Int = 0) throws {
            let process = Process()
            // Debian's python3 directly: a wrapper script (pyenv's shim) would defer SIGTERM while it waits.
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = [Fixtures.repositoryRoot + "/scripts/testing/fault_proxy.py", upstream, mode, String(count)]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            var line = Data()
            while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data([0x0a]) { line.append(byte) }
            guard let port = Int(String(decoding: line, as: UTF8.self)) else {
                process.terminate()
                throw BundleIndexError(.unavailable, "fault proxy did not start")
            }
            self.port = port
            self.process = process
        }

        public var endpoint: String { "http://127.0.0.1:\(port)" }

        /// Requests the proxy has seen.
        public func requests() throws -> Int {
            let stats = try Shell.run("/usr/bin/curl", ["-s", "\(endpoint)/__stats"])
            let json = try JSONSerialization.jsonObject(with: Data(stats.output.utf8)) as? [String: Int]
            return json?["requests"] ?? -1
        }

        public func stop() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
