import assert from "node:assert/strict";
import { exportSPKI, generateKeyPair, SignJWT } from "jose";
import { ExternalVerifier, type ExternalIdentity } from "../../src/auth/external";

const OPTS = {
  claimUsername: "preferred_username",
  claimOrg: "tenant",
  refetchCooldownSeconds: 30,
  issuer: "https://idp",
  audience: "rally",
};

async function keyPair(alg: "RS256" | "ES256") {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, pem: await exportSPKI(publicKey) };
}

const token = (alg: string, key: CryptoKey, claims: Record<string, unknown> = {}) =>
  new SignJWT({ preferred_username: "pem_user", tenant: "t1", ...claims })
    .setProtectedHeader({ alg })
    .setSubject("sub-1")
    .setIssuer("https://idp")
    .setAudience("rally")
    .setExpirationTime("5m")
    .sign(key);

/** JWT_PUBLIC_KEY (PEM) verification and claim mapping, without a server. */
describe("ExternalVerifier with JWT_PUBLIC_KEY", () => {
  const seen: ExternalIdentity[] = [];
  const provision = (identity: ExternalIdentity) => {
    seen.push(identity);
    return Promise.resolve({ id: `user-for-${identity.subject}`, username: identity.username, orgId: identity.orgId });
  };

  for (const alg of ["RS256", "ES256"] as const) {
    it(`verifies ${alg} tokens with a PEM key (one line with \\n escapes too), mapping claims by env`, async () => {
      const { privateKey, pem } = await keyPair(alg);
      const verifier = new ExternalVerifier({ ...OPTS, publicKeyPem: pem.replace(/\n/g, "\\n") }, provision);
      const user = await verifier.verify(await token(alg, privateKey));
      assert.equal(user.id, "user-for-sub-1");
      assert.equal(user.username, "pem_user");
      assert.equal(user.orgId, "t1");
      assert.ok(user.expiresAt! > Date.now());
    });
  }

  it("refuses a token signed by another key, and one without the username claim, with 401", async () => {
    const { pem } = await keyPair("RS256");
    const other = await keyPair("RS256");
    const verifier = new ExternalVerifier({ ...OPTS, publicKeyPem: pem }, provision);
    const before = seen.length;
    await assert.rejects(
      verifier.verify(await token("RS256", other.privateKey)),
      (e: any) => e.status === 401 && /signature/.test(e.message),
    );
    const mine = await keyPair("ES256");
    const v2 = new ExternalVerifier({ ...OPTS, publicKeyPem: mine.pem }, provision);
    await assert.rejects(
      v2.verify(await token("ES256", mine.privateKey, { preferred_username: undefined })),
      /preferred_username/,
    );
    assert.equal(seen.length, before, "nothing is provisioned for a refused token");
  });
});
