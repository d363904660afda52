// gzca: the CA and certificate service platform — one binary, one subcommand per job.
#include <curl/curl.h>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include "app/commands.h"

int main(int argc, char** argv) {
    using namespace gzca::app;
    CLI::App app{"gzca — certificate authority and certificate service platform"};
    app.require_subcommand(1);
    app.fallthrough();  // global options (--json, --data-dir, ...) may follow the command
    app.set_version_flag("--version", "gzca 0.1.0");
    GlobalOptions global;
    app.add_option("--config", global.config_file,
                   "Configuration file (default <data-dir>/gzca.toml)");
    app.add_option("--data-dir", global.data_dir, "Data directory (default ./var)");
    app.add_option("--passphrase-file", global.passphrase_file,
                   "File holding the CA key passphrase (or set GZCA_CA_PASSPHRASE)");
    app.add_option("--pin-file", global.pin_file,
                   "File holding the PKCS#11 user PIN (or set GZCA_PKCS11_PIN)");
    app.add_option("--pkcs11-module", global.pkcs11_module,
                   "PKCS#11 module for token-held CA keys");
    app.add_flag("--json", global.json, "Machine-readable JSON output");
    app.add_flag("-v,--verbose", global.verbose, "Log details");

    CommandRunner run;
    AddCaCommands(app, global, run);
    AddCertCommands(app, global, run);
    AddCrlCommand(app, global, run);
    AddApiKeyCommands(app, global, run);
    AddPlatformCommands(app, global, run);
    AddServeCommand(app, global, run);

    CLI11_PARSE(app, argc, argv);
    // Before any thread exists (the payment sandbox and, later, notification channels use curl).
    curl_global_init(CURL_GLOBAL_DEFAULT);
    spdlog::set_default_logger(spdlog::stderr_color_mt("gzca"));
    spdlog::set_level(global.verbose ? spdlog::level::debug : spdlog::level::warn);
    if (!run) return 2;
    return run();
}
