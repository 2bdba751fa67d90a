/// The route part of a gateway path: the extension reference and the path under it.
struct RoutedRequest: Sendable {
    var extensionID: String
    var subpath: String
    var matchPath: String
}
