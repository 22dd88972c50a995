#include "http/tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <filesystem>

namespace redred::http_server {
namespace {

// OpenSSL's last error as text ("no start line", "key values mismatch"), or `fallback`.
std::string openssl_error(const std::string& fallback) {
    const unsigned long code = ERR_peek_last_error();
    ERR_clear_error();
    if (code == 0) return fallback;
    const char* reason = ERR_reason_error_string(code);
    return reason ? reason : fallback;
}

// TLS 1.2 ciphers: ECDHE (forward secrecy) with AES-GCM or ChaCha20-Poly1305 only (Mozilla "intermediate").
// TLS 1.3 has only such suites and keeps OpenSSL's defaults.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

}  // namespace

Result<std::shared_ptr<ssl::context>> make_server_context(const std::string& cert_file, const std::string& key_file) {
    std::error_code fs_error;
    if (!std::filesystem::is_regular_file(cert_file, fs_error))
        return make_error(Errc::BadInput, "--tls-cert " + cert_file + ": no such file", "tls_cert");
    if (!std::filesystem::is_regular_file(key_file, fs_error))
        return make_error(Errc::BadInput, "--tls-key " + key_file + ": no such file", "tls_key");
    auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
    SSL_CTX* native = context->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1)
        return make_error(Errc::Internal, "OpenSSL refused the cipher list: " + openssl_error("unknown error"));
    SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_SERVER);
    ERR_clear_error();
    if (SSL_CTX_use_certificate_chain_file(native, cert_file.c_str()) != 1)
        return make_error(Errc::BadInput,
                          "--tls-cert " + cert_file + ": not a PEM certificate (" + openssl_error("unreadable") + ")",
                          "tls_cert");
    if (SSL_CTX_use_PrivateKey_file(native, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
        const std::string reason = openssl_error("unreadable");
        if (reason.find("mismatch") != std::string::npos)
            return make_error(Errc::BadInput,
                              "--tls-key " + key_file + " does not belong to the certificate in " + cert_file, "tls_key");
        return make_error(Errc::BadInput, "--tls-key " + key_file + ": not a PEM private key (" + reason + ")", "tls_key");
    }
    if (SSL_CTX_check_private_key(native) != 1)
        return make_error(Errc::BadInput,
                          "--tls-key " + key_file + " does not belong to the certificate in " + cert_file + " (" +
                              openssl_error("mismatch") + ")",
                          "tls_key");
    return context;
}

Result<std::shared_ptr<TlsContext>> TlsContext::load(std::string cert_file, std::string key_file) {
    auto context = make_server_context(cert_file, key_file);
    if (!context) return context.error();
    std::shared_ptr<TlsContext> tls(new TlsContext(std::move(cert_file), std::move(key_file)));
    tls->context_ = std::move(*context);
    return tls;
}

std::shared_ptr<ssl::context> TlsContext::current() const {
    std::lock_guard lock(mutex_);
    return context_;
}

Result<Ok> TlsContext::reload() {
    auto context = make_server_context(cert_file_, key_file_);
    if (!context) return context.error();
    std::lock_guard lock(mutex_);
    context_ = std::move(*context);
    return Ok{};
}

std::string TlsContext::describe() const {
    auto context = current();
    X509* cert = SSL_CTX_get0_certificate(context->native_handle());
    if (!cert) return "no certificate";
    char subject[256] = {0};
    X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject - 1);
    std::string not_after = "?";
    if (BIO* bio = BIO_new(BIO_s_mem())) {
        if (ASN1_TIME_print(bio, X509_get0_notAfter(cert)) == 1) {
            char* data = nullptr;
            const long size = BIO_get_mem_data(bio, &data);
            not_after.assign(data, static_cast<std::size_t>(size));
        }
        BIO_free(bio);
    }
    return std::string("subject=\"") + subject + "\" not_after=\"" + not_after + "\"";
}

}  // namespace redred::http_server
