import ArgumentParser
import BundleIndex
import Foundation
import Logging

/// The `uiserve` executable: the server and the publisher/operator tools, as subcommands.
///
/// Exit codes: 0 success; 1 a verification found the input invalid; 2 a usage or IO error (or any
/// other failure), always with one line on stderr naming the file and the problem.
@main
struct UIServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uiserve",
        abstract: "Serve signed extension UI bundles and front the extension API route.",
        subcommands: [ServeCommand.self, BundleCommand.self, RegistryCommand.self, InstallCommand.self]
    )

    static func main() async {
        LoggingSystem.bootstrap({ label, provider in LineLogHandler(label: label, metadataProvider: provider) }, metadataProvider: nil)
        let status = await run(arguments: Array(CommandLine.arguments.dropFirst()))
        LogSink.standardOutput.flush()
        Foundation.exit(status)
    }

    /// Parses and runs one command line; returns the process exit code (testable without exiting).
    static func run(arguments: [String]) async -> Int32 {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return 0
        } catch let exit as ExitCode {
            return exit.rawValue
        } catch let error as BundleIndexError {
            Terminal.error("uiserve: \(error.message)")
            return 2
        } catch let error as UIServeError {
            Terminal.error("uiserve: \(error.message)")
            return 2
        } catch {
            if exitCode(for: error) == .success {
                print(fullMessage(for: error))
                return 0
            }
            Terminal.error("uiserve: \(message(for: error)) (see 'uiserve --help')")
            return 2
        }
    }
}
