package io.fleet.secrets;

import io.fleet.api.GeneratorSpec;
import io.fleet.api.SecretSpec;
import io.fleet.api.data.StoredSecret;
import io.fleet.api.spi.Connection;
import io.fleet.api.spi.SecretCipher;
import io.fleet.api.spi.SecretGenerator;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A generator request for tests. */
public final class TestRequest implements SecretGenerator.Request {
  private final SecretSpec spec;
  private final List<String> recipients;
  private final SecretCipher cipher;
  private final Instant now;
  private Connection host;
  private final Map<String, StoredSecret> deps = new HashMap<>();
  private String operatorIdentity;

  public TestRequest(GeneratorSpec g, List<String> recipients, SecretCipher cipher, Instant now) {
    this.spec = SecretSpec.builder().name("test-secret").generator(g).build();
    this.recipients = recipients;
    this.cipher = cipher;
    this.now = now;
  }

  public TestRequest host(Connection c) {
    this.host = c;
    return this;
  }

  public TestRequest dependency(String name, StoredSecret s, String identity) {
    deps.put(name, s);
    this.operatorIdentity = identity;
    return this;
  }

  @Override
  public String secretName() {
    return spec.name();
  }

  @Override
  public SecretSpec spec() {
    return spec;
  }

  @Override
  public GeneratorSpec generator() {
    return spec.generator().get();
  }

  @Override
  public List<String> recipients() {
    return recipients;
  }

  @Override
  public SecretCipher cipher() {
    return cipher;
  }

  @Override
  public Instant now() {
    return now;
  }

  @Override
  public Optional<Connection> host() {
    return Optional.ofNullable(host);
  }

  @Override
  public Optional<StoredSecret> dependency(String name) {
    return Optional.ofNullable(deps.get(name));
  }

  @Override
  public Optional<byte[]> decryptDependency(String name, String part) {
    if (operatorIdentity == null) {
      return Optional.empty();
    }
    return Optional.of(
        cipher.decrypt(deps.get(name).part(part).get().bytes(), List.of(operatorIdentity)));
  }
}
