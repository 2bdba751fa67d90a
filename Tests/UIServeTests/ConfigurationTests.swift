import Testing

@testable import UIServe

/// Bad settings stop start-up with one message that names the variable, before anything is served.
@Suite struct ConfigurationTests {
    @Test(arguments: [
        ("RUNNER_SERVICE_TOKEN", "token with spaces", "RUNNER_SERVICE_TOKEN must be visible ASCII without spaces"),
        ("RUNNER_SERVICE_TOKEN", "abc\r\nx-injected: 1", "RUNNER_SERVICE_TOKEN must be visible ASCII without spaces"),
        ("RUNNER_SERVICE_TOKEN", "t\u{E9}", "RUNNER_SERVICE_TOKEN must be visible ASCII without spaces"),
        ("EXT_GATEWAY_TIMEOUT_MS", "soon", "EXT_GATEWAY_TIMEOUT_MS='soon' must be a positive integer"),
        ("EXT_GATEWAY_TIMEOUT_MS", "0", "EXT_GATEWAY_TIMEOUT_MS='0' must be a positive integer"),
        ("EXT_GATEWAY_RATE_LIMIT", "lots", "EXT_GATEWAY_RATE_LIMIT='lots' must look like '50/s burst 100'"),
        ("UISERVE_ADMIN_TOKEN", "short", "UISERVE_ADMIN_TOKEN must be at least 16 characters"),
    ])
    func badSettingsAreRefused(_ name: String, _ value: String, _ message: String) {
        do {
            _ = try Configuration(environment: ["SIGNING_POLICY": "off", name: value])
            Issue.record("\(name)=\(value) was accepted")
        } catch let error as UIServeError {
            #expect(error.message == message)
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func aRunnerServiceTokenOfVisibleCharactersIsKept() throws {
        let token = "eyJhbGciOi.J9-_~+/=abc"
        #expect(try Configuration(environment: ["SIGNING_POLICY": "off", "RUNNER_SERVICE_TOKEN": token]).gateway.runnerServiceToken == token)
    }
}
