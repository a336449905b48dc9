package io.fleet.secrets.internal;

import com.google.common.net.InetAddresses;
import io.fleet.api.Generators;
import io.fleet.api.SecretException;
import io.fleet.api.data.SecretPart;
import io.fleet.api.data.StoredSecret;
import io.fleet.api.spi.SecretGenerator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.ContentVerifier;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;

/**
 * {@value Generators#X509_LEAF}: a certificate ({@code public}, PEM) for a new ECDSA P-256 key
 * ({@code secret}, PKCS#8 PEM), signed by the CA stored in secret {@code ca} (its {@code public}
 * certificate and its {@code secret} key, which the caller must be able to decrypt: an operator
 * identity the CA is encrypted to). Parameters: {@code commonName} or {@code subject}, {@code sans}
 * (DNS names and IP addresses), {@code validitySeconds}. The certificate never outlives its CA;
 * {@code expiresAt} is its notAfter.
 */
public final class X509LeafGenerator implements SecretGenerator {
  /** For {@code ServiceLoader}. */
  public X509LeafGenerator() {}

  @Override
  public String kind() {
    return Generators.X509_LEAF;
  }

  @Override
  public StoredSecret generate(Request request) {
    String ca =
        request
            .generator()
            .text("ca")
            .orElseThrow(() -> GeneratedSecret.invalid(request, "name the signing CA secret: ca"));
    StoredSecret caSecret =
        request
            .dependency(ca)
            .orElseThrow(
                () ->
                    GeneratedSecret.invalid(
                        request,
                        "its CA secret "
                            + ca
                            + " is not stored yet: list it in dependsOn so it is generated first"));
    SecretPart caCertPart =
        caSecret
            .part("public")
            .orElseThrow(
                () -> GeneratedSecret.invalid(request, "CA secret " + ca + " has no public part"));
    X509Certificate caCert =
        X509Support.parseCertificate(caCertPart.bytes(), "the public part of CA secret " + ca);
    PrivateKey caKey =
        X509Support.parsePrivateKey(
            request
                .decryptDependency(ca, "secret")
                .orElseThrow(
                    () ->
                        GeneratedSecret.invalid(
                            request,
                            "cannot decrypt the private key of CA secret "
                                + ca
                                + ": configure an operator identity that the CA is encrypted to"
                                + " (SecretRotation.Builder.operatorIdentity)")),
            "the private part of CA secret " + ca);
    if (!keyMatches(caCert, caKey)) {
      throw GeneratedSecret.invalid(
          request, "the private key of CA secret " + ca + " does not match its certificate");
    }

    X500Name subject = X509Support.subject(request);
    Instant notBefore = X509Support.notBefore(request);
    Instant notAfter = X509Support.notAfter(request);
    Instant caNotAfter = caCert.getNotAfter().toInstant();
    if (notAfter.isAfter(caNotAfter)) {
      notAfter = caNotAfter;
    }
    List<GeneralName> names = new ArrayList<>();
    for (String san : X509Support.sans(request)) {
      if (san.isEmpty()) {
        throw GeneratedSecret.invalid(request, "a SAN is empty");
      }
      names.add(
          InetAddresses.isInetAddress(san)
              ? new GeneralName(GeneralName.iPAddress, san)
              : new GeneralName(GeneralName.dNSName, san));
    }
    KeyPair pair = X509Support.newKeyPair();
    X509Certificate cert;
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          X509Support.certificateBuilder(
                  new JcaX509CertificateHolder(caCert).getSubject(),
                  notBefore,
                  notAfter,
                  subject,
                  pair.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(
                  Extension.keyUsage,
                  true,
                  new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
              .addExtension(
                  Extension.extendedKeyUsage,
                  false,
                  new ExtendedKeyUsage(
                      new KeyPurposeId[] {
                        KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
                      }))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  ext.createSubjectKeyIdentifier(pair.getPublic()))
              .addExtension(
                  Extension.authorityKeyIdentifier,
                  false,
                  ext.createAuthorityKeyIdentifier(caCert));
      if (!names.isEmpty()) {
        b.addExtension(
            Extension.subjectAlternativeName,
            false,
            new GeneralNames(names.toArray(new GeneralName[0])));
      }
      cert = X509Support.toCertificate(b.build(X509Support.signer(caKey)));
    } catch (CertIOException | NoSuchAlgorithmException | CertificateEncodingException e) {
      throw new SecretException(request.secretName(), "cannot build the leaf certificate: " + e, e);
    }
    return X509Support.keyAndCertificate(request, pair, cert);
  }

  /** Signs and verifies a probe, so a CA key that does not fit its certificate fails clearly. */
  private static boolean keyMatches(X509Certificate caCert, PrivateKey caKey) {
    ContentSigner signer = X509Support.signer(caKey);
    byte[] probe = "fleet-ca-probe".getBytes(StandardCharsets.US_ASCII);
    try {
      signer.getOutputStream().write(probe);
      byte[] signature = signer.getSignature();
      ContentVerifier verifier =
          new JcaContentVerifierProviderBuilder()
              .build(caCert)
              .get(signer.getAlgorithmIdentifier());
      verifier.getOutputStream().write(probe);
      return verifier.verify(signature);
    } catch (IOException | OperatorCreationException e) {
      return false;
    }
  }
}
