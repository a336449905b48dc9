package io.fleet.secrets.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleet.api.SecretException;
import io.fleet.api.data.StoredSecret;
import io.fleet.api.spi.SecretGenerator;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** What the CA and leaf certificate generators share: keys, names, validity, encoding. */
final class X509Support {
  private static final SecureRandom RANDOM = new SecureRandom();
  static final long MAX_VALIDITY_SECONDS = Duration.ofDays(100 * 365).getSeconds();

  private X509Support() {}

  /** A new ECDSA P-256 key pair, the key type every TLS stack and Kubernetes accepts. */
  static KeyPair newKeyPair() {
    try {
      KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
      gen.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
      return gen.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new SecretException("the JDK cannot generate EC P-256 keys: " + e, e);
    }
  }

  static ContentSigner signer(PrivateKey key) {
    String alg = "EC".equals(key.getAlgorithm()) ? "SHA256withECDSA" : null;
    if ("RSA".equals(key.getAlgorithm())) {
      alg = "SHA256withRSA";
    } else if ("Ed25519".equals(key.getAlgorithm()) || "EdDSA".equals(key.getAlgorithm())) {
      alg = "Ed25519";
    }
    if (alg == null) {
      throw new SecretException("cannot sign with a " + key.getAlgorithm() + " key");
    }
    try {
      return new JcaContentSignerBuilder(alg).build(key);
    } catch (OperatorCreationException e) {
      throw new SecretException("cannot sign with a " + key.getAlgorithm() + " key: " + e, e);
    }
  }

  static BigInteger serial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE);
  }

  /** The subject: {@code subject} (an X.500 name such as {@code CN=admin,O=x}) or {@code CN=…}. */
  static X500Name subject(SecretGenerator.Request request) {
    var g = request.generator();
    if (g.text("subject").isPresent()) {
      try {
        return new X500Name(BCStyle.INSTANCE, g.text("subject").get());
      } catch (IllegalArgumentException e) {
        throw GeneratedSecret.invalid(
            request, "subject is not an X.500 name such as CN=admin,O=system:masters");
      }
    }
    String cn =
        g.text("commonName")
            .orElseThrow(() -> GeneratedSecret.invalid(request, "set commonName or subject"));
    if (cn.isEmpty()) {
      throw GeneratedSecret.invalid(request, "commonName is empty");
    }
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, cn).build();
  }

  /** Not before: now, to the second. */
  static Instant notBefore(SecretGenerator.Request request) {
    return request.now().truncatedTo(ChronoUnit.SECONDS);
  }

  /** Not after: now plus {@code validitySeconds}. */
  static Instant notAfter(SecretGenerator.Request request) {
    long seconds = request.generator().number("validitySeconds", -1);
    if (seconds < 60 || seconds > MAX_VALIDITY_SECONDS) {
      throw GeneratedSecret.invalid(
          request,
          "validitySeconds "
              + seconds
              + " is out of range: use at least 60 and at most "
              + MAX_VALIDITY_SECONDS);
    }
    return notBefore(request).plusSeconds(seconds);
  }

  static List<String> sans(SecretGenerator.Request request) {
    List<String> out = new ArrayList<>();
    JsonNode node = request.generator().parameters().get("sans");
    if (node != null && node.isArray()) {
      node.forEach(n -> out.add(n.asText()));
    } else if (node != null && !node.isNull()) {
      throw GeneratedSecret.invalid(request, "sans must be a list of DNS names or IP addresses");
    }
    return out;
  }

  /**
   * A certificate builder for {@code publicKey} with a fresh serial: issued by {@code issuer} to
   * {@code subject}, valid from {@code notBefore} to {@code notAfter}.
   */
  static X509v3CertificateBuilder certificateBuilder(
      X500Name issuer, Instant notBefore, Instant notAfter, X500Name subject, PublicKey publicKey) {
    return new JcaX509v3CertificateBuilder(
        issuer, serial(), Date.from(notBefore), Date.from(notAfter), subject, publicKey);
  }

  /**
   * The generated secret of a new certificate: its private key ({@code secret}, PKCS#8 PEM), the
   * certificate ({@code public}, PEM), expiring at the certificate's notAfter.
   */
  static StoredSecret keyAndCertificate(
      SecretGenerator.Request request, KeyPair pair, X509Certificate cert) {
    return new GeneratedSecret(request)
        .privatePart("secret", privateKeyPem(pair.getPrivate()))
        .publicPart("public", certificatePem(cert))
        .expiresAt(cert.getNotAfter().toInstant())
        .build();
  }

  static X509Certificate toCertificate(X509CertificateHolder holder) {
    try {
      return new JcaX509CertificateConverter().getCertificate(holder);
    } catch (GeneralSecurityException e) {
      throw new SecretException("cannot read the certificate just made: " + e, e);
    }
  }

  static String certificatePem(X509Certificate cert) {
    try {
      return Pem.encode("CERTIFICATE", cert.getEncoded());
    } catch (GeneralSecurityException e) {
      throw new SecretException("cannot encode a certificate: " + e, e);
    }
  }

  static byte[] privateKeyPem(PrivateKey key) {
    byte[] der = key.getEncoded();
    try {
      return Pem.encode("PRIVATE KEY", der).getBytes(StandardCharsets.US_ASCII);
    } finally {
      Arrays.fill(der, (byte) 0);
    }
  }

  static X509Certificate parseCertificate(byte[] pem, String what) {
    byte[] der = Pem.decode("CERTIFICATE", pem, what);
    try {
      return (X509Certificate)
          CertificateFactory.getInstance("X.509")
              .generateCertificate(new ByteArrayInputStream(der));
    } catch (GeneralSecurityException e) {
      throw new SecretException(what + " is not a valid X.509 certificate: " + e.getMessage(), e);
    }
  }

  static PrivateKey parsePrivateKey(byte[] pem, String what) {
    byte[] der = Pem.decode("PRIVATE KEY", pem, what);
    try {
      return new JcaPEMKeyConverter().getPrivateKey(PrivateKeyInfo.getInstance(der));
    } catch (org.bouncycastle.openssl.PEMException | IllegalArgumentException e) {
      // Never include the key material; the type of failure is enough.
      throw new SecretException(
          what + " is not a PKCS#8 private key (" + e.getClass().getSimpleName() + ")", null);
    } finally {
      Arrays.fill(der, (byte) 0);
      Arrays.fill(pem, (byte) 0);
    }
  }
}
