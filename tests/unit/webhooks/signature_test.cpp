#include "webhooks/signature.hpp"

#include <gtest/gtest.h>

namespace redred::webhooks {

TEST(WebhookSignature, MatchesRfc4231HmacSha256Vectors) {
    // RFC 4231, test case 2: a key shorter than the block.
    EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    // Test case 6: a 131-byte key, longer than the block (hashed first).
    const std::string long_key(131, '\xaa');
    EXPECT_EQ(hmac_sha256_hex(long_key, "Test Using Larger Than Block-Size Key - Hash Key First"),
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(WebhookSignature, HeaderIsSha256PrefixedHexOfTheRawBody) {
    const std::string body = R"({"id":1,"event":"stream.live"})";
    const auto header = signature_header_value("s3cret", body);
    EXPECT_EQ(header, "sha256=" + hmac_sha256_hex("s3cret", body));
    EXPECT_EQ(header.size(), 7u + 64u);
    EXPECT_NE(header, signature_header_value("s3cret", body + " "));   // any change of the body
    EXPECT_NE(header, signature_header_value("s3cret2", body));        // another key
    EXPECT_EQ(kSignatureHeader, "X-Redred-Signature");
}

}  // namespace redred::webhooks
