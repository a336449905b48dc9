package io.fleet.api.spi;

import io.fleet.api.GeneratorSpec;
import io.fleet.api.SecretSpec;
import io.fleet.api.data.StoredSecret;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Produces a secret's parts for a {@link GeneratorSpec#kind()}. Implementations register with
 * {@code ServiceLoader}; the built-in kinds are in {@code fleet-secrets}.
 *
 * <p>Contract: a generator returns a {@link StoredSecret} whose private parts are already encrypted
 * to {@link Request#recipients()} with {@link Request#cipher()} and whose public parts are
 * plaintext; plaintext of a private part never leaves the generator (never written to disk, never
 * logged). Failures are {@link io.fleet.api.SecretException}s naming the secret.
 */
public interface SecretGenerator {
  /** The kind this generator handles, such as {@code password}. */
  String kind();

  /** Generates the secret described by {@code request}. */
  StoredSecret generate(Request request);

  /** What a generator is asked to produce. */
  interface Request {
    /** The secret's name. */
    String secretName();

    /** The declared secret. */
    SecretSpec spec();

    /** The generator to run ({@code spec().generator()}). */
    GeneratorSpec generator();

    /**
     * The owners' recipients (their {@code ssh-ed25519} host keys), to encrypt private parts to.
     */
    List<String> recipients();

    /** The cipher to encrypt private parts with. */
    SecretCipher cipher();

    /** The time to record as {@code createdAt}. */
    Instant now();

    /**
     * Where a generator that runs commands runs them: a connection to the host named by {@link
     * GeneratorSpec#runOn()}, or, when it names none, the caller's connection to the local machine
     * if one was configured; empty otherwise.
     */
    Optional<Connection> host();

    /**
     * The stored value of a secret this one depends on (listed in {@link SecretSpec#dependsOn()}),
     * such as the CA that signs a certificate.
     */
    Optional<StoredSecret> dependency(String name);

    /**
     * Decrypts a private part of a dependency, where the caller configured a way to (an operator
     * identity); empty when it cannot.
     */
    Optional<byte[]> decryptDependency(String name, String part);
  }
}
