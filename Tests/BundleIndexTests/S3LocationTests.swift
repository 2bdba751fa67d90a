import BundleIndex
import Testing

@Suite struct S3LocationTests {
    static let credentials = ["STORAGE_S3_ACCESS_KEY": "a", "STORAGE_S3_SECRET_KEY": "s"]

    @Test func s3SchemeNeedsAnEndpoint() throws {
        #expect(throws: BundleIndexError.self) { try S3Location.parse(base: "s3://bundles", environment: Self.credentials) }
        var environment = Self.credentials
        environment["STORAGE_S3_ENDPOINT"] = "http://minio:9000/"
        environment["STORAGE_S3_REGION"] = "eu-west-1"
        let location = try #require(try S3Location.parse(base: "s3://bundles/a/b/", environment: environment))
        #expect(location.endpoint == "http://minio:9000")
        #expect(location.region == "eu-west-1")
        #expect(location.bucket == "bundles")
        #expect(location.prefix == "a/b")
        #expect(location.url(for: "sha256/x/bundle.tar.zst") == "http://minio:9000/bundles/a/b/sha256/x/bundle.tar.zst")
    }

    @Test func httpBaseCarriesTheEndpoint() throws {
        let location = try #require(try S3Location.parse(base: "https://s3.example.com:9443/ext-bundles", environment: Self.credentials))
        #expect(location.endpoint == "https://s3.example.com:9443")
        #expect(location.prefix == "")
        #expect(location.url(for: "k") == "https://s3.example.com:9443/ext-bundles/k")
        var virtual = location
        virtual.forcePathStyle = false
        #expect(virtual.url(for: "k") == "https://ext-bundles.s3.example.com:9443/k")
    }

    @Test func foldersAreNotObjectStorage() throws {
        #expect(try S3Location.parse(base: "/var/lib/bundles", environment: [:]) == nil)
        #expect(try S3Location.parse(base: "file:///var/lib/bundles", environment: [:]) == nil)
    }

    @Test func refusals() {
        #expect(throws: BundleIndexError.self) { try S3Location.parse(base: "http://host:9000", environment: Self.credentials) }
        #expect(throws: BundleIndexError.self) { try S3Location.parse(base: "http://host:9000/UPPER", environment: Self.credentials) }
        #expect(throws: BundleIndexError.self) { try S3Location.parse(base: "http://host:9000/bucket", environment: [:]) }
    }

    @Test func keysAreEncodedForSigV4() {
        let location = S3Location(endpoint: "http://h", bucket: "b", accessKey: "a", secretKey: "s")
        #expect(location.url(for: "a b/c+d/é~_.-") == "http://h/b/a%20b/c%2Bd/%C3%A9~_.-")
    }
}
