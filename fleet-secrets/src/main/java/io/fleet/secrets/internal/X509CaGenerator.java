package io.fleet.secrets.internal;

import io.fleet.api.Generators;
import io.fleet.api.SecretException;
import io.fleet.api.data.StoredSecret;
import io.fleet.api.spi.SecretGenerator;
import java.security.KeyPair;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;

/**
 * {@value Generators#X509_CA}: a self-signed CA certificate ({@code public}, PEM) with its ECDSA
 * P-256 private key ({@code secret}, PKCS#8 PEM). Parameters: {@code commonName} (or an X.500
 * {@code subject}), {@code validitySeconds}. {@code expiresAt} is the certificate's notAfter.
 */
public final class X509CaGenerator implements SecretGenerator {
  /** For {@code ServiceLoader}. */
  public X509CaGenerator() {}

  @Override
  public String kind() {
    return Generators.X509_CA;
  }

  @Override
  public StoredSecret generate(Request request) {
    X500Name subject = X509Support.subject(request);
    var notBefore = X509Support.notBefore(request);
    var notAfter = X509Support.notAfter(request);
    KeyPair pair = X509Support.newKeyPair();
    X509Certificate cert;
    try {
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b =
          X509Support.certificateBuilder(subject, notBefore, notAfter, subject, pair.getPublic())
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
              .addExtension(
                  Extension.keyUsage,
                  true,
                  new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature))
              .addExtension(
                  Extension.subjectKeyIdentifier,
                  false,
                  ext.createSubjectKeyIdentifier(pair.getPublic()))
              .addExtension(
                  Extension.authorityKeyIdentifier,
                  false,
                  ext.createAuthorityKeyIdentifier(pair.getPublic()));
      cert = X509Support.toCertificate(b.build(X509Support.signer(pair.getPrivate())));
    } catch (CertIOException | NoSuchAlgorithmException e) {
      throw new SecretException(request.secretName(), "cannot build the CA certificate: " + e, e);
    }
    return X509Support.keyAndCertificate(request, pair, cert);
  }
}
