import Foundation

/// The bundle's `manifest.json`, following the host application's v2 manifest.
///
/// Decoding validates every rule, so a value of this type is always a valid manifest: names,
/// semver version, runtime, capabilities, the iframe UI entry and the API endpoints. Unknown
/// top-level keys are refused by name, since a misspelt key would otherwise be silently ignored.
public struct ExtensionManifest: Codable, Sendable, Equatable {
    /// The UI section: how the host embeds the extension.
    public struct UI: Codable, Sendable, Equatable {
        /// Always `iframe` today.
        public var type: String
        /// The file under `ui/` served for the root and for client-side routes.
        public var entry: String

        public init(type: String = "iframe", entry: String = "index.html") {
            self.type = type
            self.entry = entry
        }
    }

    /// One server handler the extension declares; the gateway forwards only these.
    public struct Endpoint: Codable, Sendable, Equatable {
        public var method: String
        public var path: String
        public var handler: String

        public init(method: String, path: String, handler: String) {
            self.method = method
            self.path = path
            self.handler = handler
        }
    }

    /// The API section.
    public struct API: Codable, Sendable, Equatable {
        public var endpoints: [Endpoint]

        public init(endpoints: [Endpoint]) { self.endpoints = endpoints }
    }

    public var name: String
    public var publisher: String
    public var version: String
    public var description: String?
    public var runtime: String
    public var capabilities: [String]
    public var ui: UI?
    public var api: API?

    /// The top-level keys a manifest may carry.
    public static let knownKeys: Set<String> = [
        "name", "publisher", "version", "description", "runtime", "capabilities", "ui", "api",
        "assets", "precompiled", "sbom", "$schema",
    ]

    /// The HTTP methods an endpoint may declare.
    public static let endpointMethods: Set<String> = ["GET", "POST", "PUT", "PATCH", "DELETE"]

    public init(
        name: String, publisher: String, version: String, description: String? = nil, runtime: String,
        capabilities: [String] = [], ui: UI? = UI(), api: API? = nil
    ) {
        self.name = name
        self.publisher = publisher
        self.version = version
        self.description = description
        self.runtime = runtime
        self.capabilities = capabilities
        self.ui = ui
        self.api = api
    }

    /// `publisher.name`, the human id of the extension.
    public var qualifiedName: String { "\(publisher).\(name)" }

    /// The UI entry file under `ui/` (default `index.html`).
    public var uiEntry: String { ui?.entry ?? "index.html" }

    /// Parses and validates manifest JSON; `source` names the file in errors.
    public static func parse(_ data: Data, source: String = "manifest.json") throws -> ExtensionManifest {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw BundleIndexError(.invalidManifest, "\(source): not valid JSON", cause: error)
        }
        guard let dictionary = object as? [String: Any] else {
            throw BundleIndexError(.invalidManifest, "\(source): the top level must be a JSON object")
        }
        if let unknown = dictionary.keys.sorted().first(where: { !knownKeys.contains($0) }) {
            throw BundleIndexError(.invalidManifest, "\(source): unknown top-level key '\(unknown)'")
        }
        let manifest: ExtensionManifest
        do {
            manifest = try JSONDecoder().decode(ExtensionManifest.self, from: data)
        } catch let error as DecodingError {
            throw BundleIndexError(.invalidManifest, "\(source): \(describe(error))", cause: error)
        }
        if let problem = manifest.problems().first {
            throw BundleIndexError(.invalidManifest, "\(source): \(problem)")
        }
        return manifest
    }

    private enum CodingKeys: String, CodingKey {
        case name, publisher, version, description, runtime, capabilities, ui, api
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        publisher = try c.decode(String.self, forKey: .publisher)
        version = try c.decode(String.self, forKey: .version)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        runtime = try c.decode(String.self, forKey: .runtime)
        capabilities = try c.decodeIfPresent([String].self, forKey: .capabilities) ?? []
        ui = try c.decodeIfPresent(UI.self, forKey: .ui)
        api = try c.decodeIfPresent(API.self, forKey: .api)
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "missing key '\(parent.isEmpty ? "" : parent + ".")\(key.stringValue)'"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "'\(path(context))' must be \(type == String.self ? "a string" : "of type \(type)")"
        case .dataCorrupted(let context):
            return "invalid value at '\(path(context))'"
        @unknown default:
            return "invalid manifest"
        }
    }
}
