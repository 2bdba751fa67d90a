import BundleIndex

/// Picks the file a decoded, validated path names in a bundle's index (pure logic): the exact
/// file; a directory's `index.html`; for a navigation to an extension-less path that does not
/// exist, the manifest's UI entry (client-side routes); otherwise nothing. Never a listing.
struct AssetLookup {
    enum Outcome: Equatable {
        case file(relative: String, BundleIndexFile.File)
        /// The path is a directory requested without its trailing slash.
        case addSlash
        case notFound
    }

    let bundle: CachedBundle

    func find(path: String, isDirectory: Bool, navigation: Bool) -> Outcome {
        let files = bundle.index.files
        if path.isEmpty { return entry() }
        if !isDirectory, let file = files[path] { return .file(relative: path, file) }
        let index = path + "/index.html"
        if let file = files[index] { return isDirectory ? .file(relative: index, file) : .addSlash }
        let last = path.split(separator: "/").last ?? ""
        if navigation && !last.contains(".") { return entry() }
        return .notFound
    }

    private func entry() -> Outcome {
        let entry = bundle.entry
        if let file = bundle.index.files[entry] { return .file(relative: entry, file) }
        return .notFound
    }
}
