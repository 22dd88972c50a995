// The server's TLS settings (--tls-cert, --tls-key): an OpenSSL context allowing TLS 1.2 and 1.3 only, with
// forward-secret AEAD ciphers. A reload (SIGHUP) builds a whole new context and swaps it in: new connections get
// the new certificate, open ones keep the context they started with, and a bad new file keeps the old one.
// Thread-safe: current() and reload() may be called from any thread.
#pragma once
#include <memory>
#include <mutex>
#include <string>

#include "core/net.hpp"
#include "core/result.hpp"

namespace redred::http_server {

class TlsContext {
public:
    // Loads the certificate chain (PEM) and its private key; an error names the file and what is wrong.
    static Result<std::shared_ptr<TlsContext>> load(std::string cert_file, std::string key_file);

    std::shared_ptr<ssl::context> current() const;
    Result<Ok> reload();
    // Subject and expiry of the loaded certificate, for the log ("CN=example.org not_after=...").
    std::string describe() const;

private:
    TlsContext(std::string cert_file, std::string key_file) : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {}

    const std::string cert_file_;
    const std::string key_file_;
    mutable std::mutex mutex_;
    std::shared_ptr<ssl::context> context_;  // guarded by mutex_
};

// Builds a server context from the two PEM files.
Result<std::shared_ptr<ssl::context>> make_server_context(const std::string& cert_file, const std::string& key_file);

}  // namespace redred::http_server
