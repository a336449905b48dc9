package io.fleet.secrets.age;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.fleet.testkit.ExternalTools;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/** Property tests: round trips, and that damaged files and junk keys give typed errors only. */
class AgeProperties {
  private static final int CHUNK = 64 * 1024;
  private static final List<String> IDENTITIES = new ArrayList<>();
  private static final List<String> RECIPIENTS = new ArrayList<>();

  static {
    for (int i = 0; i < 5; i++) {
      String id = Age.generateIdentity();
      IDENTITIES.add(id);
      RECIPIENTS.add(Age.recipientOf(id));
    }
    for (String host : List.of("alpha", "beta", "gamma")) {
      try {
        var keys = ExternalTools.testData("fleet-nix/keys");
        IDENTITIES.add(Files.readString(keys.resolve(host)));
        RECIPIENTS.add(Files.readString(keys.resolve(host + ".pub")).strip());
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** Payloads around the chunk boundaries as well as small ones. */
  @Provide
  Arbitrary<byte[]> payloads() {
    Arbitrary<Integer> sizes =
        Arbitraries.oneOf(
            Arbitraries.integers().between(0, 300),
            Arbitraries.integers().between(CHUNK - 3, CHUNK + 3),
            Arbitraries.integers().between(2 * CHUNK - 2, 2 * CHUNK + 2),
            Arbitraries.integers().between(0, 3 * CHUNK));
    return sizes.flatMap(n -> Arbitraries.bytes().array(byte[].class).ofSize(n));
  }

  @Provide
  Arbitrary<Set<Integer>> recipientSets() {
    return Arbitraries.integers().between(0, IDENTITIES.size() - 1).set().ofMinSize(1).ofMaxSize(8);
  }

  @Property(tries = 150)
  void everyRecipientDecryptsWhatWasEncrypted(
      @ForAll("payloads") byte[] plain,
      @ForAll("recipientSets") Set<Integer> who,
      @ForAll boolean armor) {
    List<String> recipients = who.stream().map(RECIPIENTS::get).toList();
    byte[] file = Age.encrypt(plain, recipients, armor);
    for (int i = 0; i < IDENTITIES.size(); i++) {
      if (who.contains(i)) {
        assertThat(Age.decrypt(file, List.of(IDENTITIES.get(i)))).isEqualTo(plain);
      } else {
        final int j = i;
        AgeException e = expectAgeException(() -> Age.decrypt(file, List.of(IDENTITIES.get(j))));
        assertThat(e.kind()).isEqualTo(AgeException.Kind.NO_MATCH);
      }
    }
    // Several identities at once, in any order, also work when one matches.
    List<String> all = new ArrayList<>(IDENTITIES);
    java.util.Collections.reverse(all);
    assertThat(Age.decrypt(file, all)).isEqualTo(plain);
  }

  /** A mutation of a valid file: which operation, where, and with which byte. */
  record Mutation(int op, double where, int length, byte value) {
    byte[] apply(byte[] f) {
      int at = (int) Math.min(f.length - 1, Math.floor(where * f.length));
      at = Math.max(at, 0);
      switch (op) {
        case 0: // flip bits of one byte
          byte[] g = f.clone();
          g[at] ^= value == 0 ? 1 : value;
          return g;
        case 1: // truncate
          return Arrays.copyOf(f, at);
        case 2: // insert a byte
          byte[] h = new byte[f.length + 1];
          System.arraycopy(f, 0, h, 0, at);
          h[at] = value;
          System.arraycopy(f, at, h, at + 1, f.length - at);
          return h;
        case 3: // delete a range
          int end = Math.min(f.length, at + length);
          byte[] d = new byte[f.length - (end - at)];
          System.arraycopy(f, 0, d, 0, at);
          System.arraycopy(f, end, d, at, f.length - end);
          return d;
        default: // append junk
          byte[] a = Arrays.copyOf(f, f.length + length);
          Arrays.fill(a, f.length, a.length, value);
          return a;
      }
    }
  }

  @Provide
  Arbitrary<Mutation> mutations() {
    return Combinators.combine(
            Arbitraries.integers().between(0, 4),
            Arbitraries.doubles().between(0, 1),
            Arbitraries.integers().between(1, 70000),
            Arbitraries.bytes())
        .as(Mutation::new);
  }

  @Property(tries = 300)
  void aMutatedFileGivesATypedErrorAndReleasesOnlyAuthenticatedPlaintext(
      @ForAll("payloads") byte[] plain,
      @ForAll("recipientSets") Set<Integer> who,
      @ForAll boolean armor,
      @ForAll("mutations") Mutation mutation)
      throws IOException {
    List<String> recipients = who.stream().map(RECIPIENTS::get).toList();
    String identity = IDENTITIES.get(who.iterator().next());
    byte[] file = Age.encrypt(plain, recipients, armor);
    byte[] bad = mutation.apply(file);

    // The byte[] API: the exact plaintext (a harmless mutation such as CRLF in armor) or a typed
    // error, never partial plaintext.
    try {
      assertThat(Age.decrypt(bad, List.of(identity))).isEqualTo(plain);
    } catch (AgeException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }

    // The streaming API: released plaintext is a prefix of the original made of whole chunks.
    ByteArrayOutputStream released = new ByteArrayOutputStream();
    try (InputStream in = Age.decryptingStream(new ByteArrayInputStream(bad), List.of(identity))) {
      in.transferTo(released);
      assertThat(released.toByteArray()).isEqualTo(plain);
    } catch (AgeException e) {
      byte[] r = released.toByteArray();
      assertThat(r.length % CHUNK == 0 || r.length == plain.length).isTrue();
      assertThat(Arrays.copyOf(plain, r.length)).isEqualTo(r);
      assertThat(r.length).isLessThanOrEqualTo(plain.length);
    }
  }

  @Property(tries = 500)
  void arbitraryBytesAreATypedError(@ForAll @Size(max = 600) byte[] junk, @ForAll boolean prefix) {
    byte[] in = junk;
    if (prefix) {
      byte[] intro = "age-encryption.org/v1\n-> X25519 ".getBytes(StandardCharsets.US_ASCII);
      in = Arrays.copyOf(intro, intro.length + junk.length);
      System.arraycopy(junk, 0, in, intro.length, junk.length);
    }
    final byte[] data = in;
    expectAgeException(() -> Age.decrypt(data, List.of(IDENTITIES.get(0))));
    expectAgeException(() -> Age.decrypt(data, List.of(IDENTITIES.get(6))));
  }

  @Property(tries = 500)
  void arbitraryKeysAreATypedError(@ForAll String junk) {
    AgeException e = expectAgeException(() -> Age.encrypt(new byte[1], List.of(junk)));
    assertThat(e.kind()).isEqualTo(AgeException.Kind.INVALID_KEY);
    AgeException d =
        expectAgeException(
            () -> Age.decrypt(Age.encrypt(new byte[1], RECIPIENTS.subList(0, 1)), List.of(junk)));
    assertThat(d.kind()).isIn(AgeException.Kind.INVALID_KEY, AgeException.Kind.NO_MATCH);
  }

  @Property(tries = 300)
  void armorRoundTripsAndJunkArmorIsATypedError(
      @ForAll @Size(max = 2000) byte[] data, @ForAll String junk) {
    assertThat(Age.dearmor(Age.armor(data))).isEqualTo(data);
    try {
      Age.dearmor(junk);
    } catch (AgeException e) {
      assertThat(e.kind()).isEqualTo(AgeException.Kind.ARMOR_FAILURE);
    }
  }

  private static AgeException expectAgeException(Runnable r) {
    try {
      r.run();
    } catch (AgeException e) {
      return e;
    }
    fail("expected an AgeException");
    return null;
  }
}
