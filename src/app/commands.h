#pragma once
// The CLI: one registration function per command group. Each command parses its options into a
// small struct, and on selection stores the function that runs it into `run` — main() calls it
// after parsing, so `gzca --help` opens nothing.

#include <functional>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "app/context.h"

namespace gzca::app {

using CommandRunner = std::function<int()>;

void AddCaCommands(CLI::App& app, GlobalOptions& global, CommandRunner& run);
void AddCertCommands(CLI::App& app, GlobalOptions& global, CommandRunner& run);
void AddCrlCommand(CLI::App& app, GlobalOptions& global, CommandRunner& run);
void AddApiKeyCommands(CLI::App& app, GlobalOptions& global, CommandRunner& run);
void AddPlatformCommands(CLI::App& app, GlobalOptions& global, CommandRunner& run);
void AddServeCommand(CLI::App& app, GlobalOptions& global, CommandRunner& run);

// Prints the error's public message to stderr (internal detail only with --verbose) and returns
// the process exit code for it (1).
int ReportError(const Error& error, const GlobalOptions& global);

// Reads a file argument; "-" reads standard input.
Result<Bytes> ReadInput(const std::string& path, std::size_t max_size);

}  // namespace gzca::app
