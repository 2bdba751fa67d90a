/// The headers every `/ext-ui/` response carries, decided once at start-up from configuration.
///
/// Assets are public and immutable, and a sandboxed iframe (opaque origin `null`) fetches its module
/// scripts, fonts and data cross-origin, hence `Access-Control-Allow-Origin: *` and
/// `Cross-Origin-Resource-Policy: cross-origin`. HTML additionally gets a Content-Security-Policy.
public struct UIHeaderPolicy: Sendable {
    /// The strict default CSP for extension HTML: only the bundle's own files, no plugins, no
    /// framing of others, no form posts, no `<base>` tricks.
    public static let defaultContentSecurityPolicy = [
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:",
        "font-src 'self' data:", "connect-src 'self'", "media-src 'self' blob:", "worker-src 'self' blob:",
        "object-src 'none'", "base-uri 'self'", "form-action 'none'", "frame-src 'none'",
    ].joined(separator: "; ")

    /// Deny-by-default browser features (only names Chromium recognises, so the console stays clean).
    public static let permissionsPolicy = [
        "accelerometer", "autoplay", "camera", "clipboard-read", "clipboard-write", "display-capture",
        "encrypted-media", "fullscreen", "geolocation", "gyroscope", "hid", "idle-detection", "magnetometer",
        "microphone", "midi", "payment", "picture-in-picture", "publickey-credentials-get", "screen-wake-lock",
        "serial", "usb", "xr-spatial-tracking",
    ].map { $0 + "=()" }.joined(separator: ", ")

    public static let immutable = "public, max-age=31536000, immutable"

    /// The CSP sent on HTML responses.
    public let contentSecurityPolicy: String

    /// `csp` (`EXT_UI_CONTENT_SECURITY_POLICY`) replaces the default; `frameAncestors`
    /// (`EXT_UI_FRAME_ANCESTORS`) adds a `frame-ancestors` directive.
    public init(contentSecurityPolicy csp: String? = nil, frameAncestors: String? = nil) throws {
        var policy = csp ?? Self.defaultContentSecurityPolicy
        if let frameAncestors, !frameAncestors.isEmpty { policy += "; frame-ancestors " + frameAncestors }
        guard policy.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7f }) else {
            throw UIServeError.configuration("EXT_UI_CONTENT_SECURITY_POLICY / EXT_UI_FRAME_ANCESTORS must be printable ASCII")
        }
        self.contentSecurityPolicy = policy
    }
}
