#include "core/crypto.hpp"

#include <gtest/gtest.h>

namespace redred::crypto {

TEST(Crypto, PasswordHashIsArgon2idAndVerifies) {
    auto hash = hash_password("correct horse battery staple");
    ASSERT_TRUE(hash);
    EXPECT_EQ(hash->rfind("$argon2id$", 0), 0u);
    EXPECT_TRUE(verify_password(*hash, "correct horse battery staple"));
    EXPECT_FALSE(verify_password(*hash, "correct horse battery stapler"));
    EXPECT_NE(*hash, *hash_password("correct horse battery staple")) << "salted";
}

TEST(Crypto, SessionTokensAre256RandomBitsAndStoredOnlyAsAHash) {
    const auto a = new_session_token();
    const auto b = new_session_token();
    EXPECT_EQ(a.size(), 43u);  // 32 bytes, URL-safe base64 without padding
    EXPECT_NE(a, b);
    EXPECT_EQ(token_hash(a).size(), 64u);
    EXPECT_EQ(token_hash(a), token_hash(a));
    EXPECT_NE(token_hash(a), token_hash(b));
    EXPECT_EQ(token_hash(a).find(a), std::string::npos);
}

TEST(Crypto, TurnCredentialFollowsCoturnsSharedSecretScheme) {
    // Reference: base64(HMAC-SHA1("secret", "1700000000:alice")), computed with `openssl dgst -sha1 -hmac`.
    auto c = turn_credential("secret", "alice", 1700000000);
    EXPECT_EQ(c.username, "1700000000:alice");
    EXPECT_EQ(c.credential, "d8soP47RbdIKLDUOpnJPVQyq5Ts=");
    EXPECT_EQ(c.credential, turn_credential("secret", "alice", 1700000000).credential);
    EXPECT_NE(c.credential, turn_credential("other", "alice", 1700000000).credential);
}

TEST(Crypto, ConstantTimeEquality) {
    EXPECT_TRUE(equal_constant_time("abc", "abc"));
    EXPECT_FALSE(equal_constant_time("abc", "abd"));
    EXPECT_FALSE(equal_constant_time("abc", "abcd"));
    EXPECT_TRUE(equal_constant_time("", ""));
}

}  // namespace redred::crypto
