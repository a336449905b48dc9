package io.fleet.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.fleet.api.FleetConfigException;
import io.fleet.api.FleetJson;
import io.fleet.api.Names;
import io.fleet.api.data.FleetData;
import io.fleet.api.data.JsonFleetDataStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Host, secret and part names become paths on the hosts ({@code /run/secrets/NAME/PART}): from
 * {@code fleet.nix} and from JSON data, every invalid one is refused with its line and column and
 * every valid one is accepted.
 */
class FleetDataNamesTest {
  private static final String CREATED = "2026-01-01T00:00:00Z";

  /** Where a name stands in the data, and which rule applies there. */
  enum Place {
    HOST(Names::isValidHostName),
    SHARED_SECRET(Names::isValidSecretName),
    OWNER(Names::isValidHostName),
    SHARED_PART(Names::isValidPartName),
    HOST_SECRETS_HOST(Names::isValidHostName),
    HOST_SECRET(Names::isValidSecretName),
    HOST_PART(Names::isValidPartName);

    final Predicate<String> valid;

    Place(Predicate<String> valid) {
      this.valid = valid;
    }
  }

  /** A data text with the name at one place, and the offset of the name's token in it. */
  record Placed(String text, int offset) {
    int line() {
      return (int) text.substring(0, offset).chars().filter(c -> c == '\n').count() + 1;
    }

    int column() {
      return offset - (text.lastIndexOf('\n', offset - 1) + 1) + 1;
    }
  }

  @Example
  void theReviewsTraversalsAreRefusedWithTheirPosition() {
    assertThatThrownBy(
            () ->
                FleetNixFile.parse(
                    "{\n  version = \"0.1.0\";\n  hostSecrets.h.\"../../etc/cron.d\" = {\n"
                        + "    createdAt = \""
                        + CREATED
                        + "\";\n  };\n}\n"))
        .isInstanceOfSatisfying(
            FleetConfigException.class,
            e -> {
              assertThat(e.line()).isEqualTo(3);
              assertThat(e.column()).isEqualTo(17);
            })
        .hasMessageContaining("secret name '../../etc/cron.d' is invalid");
    assertThatThrownBy(
            () ->
                FleetNixFile.parse(
                    "{ version = \"0.1.0\"; hostSecrets.h.s = { createdAt = \""
                        + CREATED
                        + "\"; \"../x\".raw = \"<PLAINTEXT>x\"; }; }"))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("hostSecrets.h.s: the part name '../x' is invalid");
  }

  @Example
  void anOwnerListedTwiceIsRefusedWithItsPosition() throws IOException {
    assertThatThrownBy(
            () ->
                FleetNixFile.parse(
                    "{ version = \"0.1.0\";\n  sharedSecrets.s = { owners = [ \"a\" \"b\" \"a\" ];"
                        + " createdAt = \""
                        + CREATED
                        + "\"; }; }"))
        .isInstanceOfSatisfying(
            FleetConfigException.class,
            e -> {
              assertThat(e.line()).isEqualTo(2);
              assertThat(e.column()).isEqualTo(42);
            })
        .hasMessageContaining("lists 'a' twice");
    Path file = Files.createTempFile("fleet-names", ".json");
    try {
      Files.writeString(
          file,
          "{\"sharedSecrets\": {\"s\": {\"owners\": [\"a\", \"a\"], \"secret\": {\"createdAt\": \""
              + CREATED
              + "\"}}}}");
      assertThatThrownBy(() -> JsonFleetDataStore.at(file).load())
          .isInstanceOf(FleetConfigException.class)
          .hasMessageContaining("twice");
    } finally {
      Files.delete(file);
    }
  }

  @Example
  void dataWithAnInvalidNameIsNotWrittenToEitherFormat() throws IOException {
    FleetData bad =
        FleetData.empty()
            .withHostSecret(
                "h",
                "../../etc/cron.d",
                io.fleet.api.data.StoredSecret.builder()
                    .createdAt(java.time.Instant.EPOCH)
                    .build());
    assertThat(bad.nameProblems()).singleElement().asString().contains("'../../etc/cron.d'");
    assertThatThrownBy(() -> FleetNixFile.format(bad))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("secret name '../../etc/cron.d' is invalid");
    Path file = Files.createTempFile("fleet-names", ".json");
    try {
      Files.writeString(file, "{}");
      JsonFleetDataStore store = JsonFleetDataStore.at(file);
      store.load();
      assertThatThrownBy(() -> store.save(bad))
          .isInstanceOf(FleetConfigException.class)
          .hasMessageContaining("secret name '../../etc/cron.d' is invalid");
      assertThat(Files.readString(file)).as("the file is unchanged").isEqualTo("{}");
    } finally {
      Files.delete(file);
    }
  }

  @Property(tries = 600)
  void everyInvalidNameFromFleetNixIsRefusedWhereItStands(
      @ForAll Place place, @ForAll("invalidNames") String name) {
    if (place.valid.test(name)) {
      return;
    }
    Placed p = nix(place, name);
    assertThatThrownBy(() -> FleetNixFile.parse(p.text()))
        .isInstanceOfSatisfying(
            FleetConfigException.class,
            e -> {
              assertThat(e.getMessage()).contains(" is invalid").contains(Names.quote(name));
              assertThat(e.line()).as(p.text()).isEqualTo(p.line());
              assertThat(e.column()).as(p.text()).isEqualTo(p.column());
            });
  }

  @Property(tries = 600)
  void everyInvalidNameFromJsonIsRefusedWhereItStands(
      @ForAll Place place, @ForAll("invalidNames") String name) throws IOException {
    if (place.valid.test(name)) {
      return;
    }
    Placed p = json(place, name);
    Path file = Files.createTempFile("fleet-names", ".json");
    try {
      Files.writeString(file, p.text());
      assertThatThrownBy(() -> JsonFleetDataStore.at(file).load())
          .isInstanceOfSatisfying(
              FleetConfigException.class,
              e -> {
                assertThat(e.getMessage()).contains(" is invalid").contains(Names.quote(name));
                assertThat(e.line()).as(p.text()).isEqualTo(p.line());
                assertThat(e.column()).as(p.text()).isEqualTo(p.column());
              });
    } finally {
      Files.delete(file);
    }
  }

  @Property(tries = 300)
  void everyValidNameIsAcceptedFromBothSources(
      @ForAll Place place, @ForAll("validNames") String name) throws IOException {
    if (!place.valid.test(name)) {
      return;
    }
    FleetData fromNix = FleetNixFile.parse(nix(place, name).text());
    assertThat(FleetNixFile.parse(FleetNixFile.format(fromNix))).isEqualTo(fromNix);
    Path file = Files.createTempFile("fleet-names", ".json");
    try {
      Files.writeString(file, json(place, name).text());
      assertThat(JsonFleetDataStore.at(file).load()).isEqualTo(fromNix);
    } finally {
      Files.delete(file);
    }
  }

  @Provide
  Arbitrary<String> invalidNames() {
    return Arbitraries.oneOf(
            Arbitraries.of(
                "",
                ".",
                "..",
                "../x",
                "../../etc/cron.d",
                "a/b",
                "/abs",
                ".hidden",
                "-flag",
                "+x",
                "@x",
                "_lead",
                "a b",
                "a\nb",
                "tab\t",
                "x".repeat(256),
                "h".repeat(64),
                "p".repeat(129),
                "é",
                "a${b}",
                "a\"b",
                "a\\b",
                "a'b"),
            Arbitraries.strings().ofMinLength(0).ofMaxLength(12),
            Arbitraries.strings().withChars("./-+@_aZ9 \\\"$").ofMaxLength(6))
        // Nix strings cannot hold NUL at all: that is a different error.
        .filter(s -> s.indexOf('\0') < 0);
  }

  @Provide
  Arbitrary<String> validNames() {
    return Arbitraries.oneOf(
        FleetDataArbitraries.hostName(),
        FleetDataArbitraries.secretName(),
        FleetDataArbitraries.partName(),
        Arbitraries.of("x".repeat(255), "h".repeat(63), "p".repeat(128), "_", "a+b@c", "or"));
  }

  // ---- the data texts

  private static Placed nix(Place place, String name) {
    String token = nixString(name);
    String secret = "createdAt = \"" + CREATED + "\";";
    String part = " = { raw = \"<PLAINTEXT>x\"; };";
    List<String> pieces =
        switch (place) {
          case HOST -> List.of("hosts = {\n    ", token, " = { encryptionKey = \"k\"; };\n  };");
          case SHARED_SECRET ->
              List.of(
                  "sharedSecrets = {\n    ",
                  token,
                  " = { owners = [ \"a\" ]; " + secret + " };\n  };");
          case OWNER ->
              List.of(
                  "sharedSecrets.s = {\n    owners = [ ", token, " ];\n    " + secret + "\n  };");
          case SHARED_PART ->
              List.of(
                  "sharedSecrets.s = {\n    owners = [ ]; " + secret + "\n    ",
                  token,
                  part + "\n  };");
          case HOST_SECRETS_HOST ->
              List.of("hostSecrets = {\n    ", token, " = { s = { " + secret + " }; };\n  };");
          case HOST_SECRET ->
              List.of("hostSecrets.h = {\n    ", token, " = { " + secret + " };\n  };");
          case HOST_PART ->
              List.of("hostSecrets.h.s = {\n    " + secret + "\n    ", token, part + "\n  };");
        };
    String head = "{\n  version = \"0.1.0\";\n  " + pieces.get(0);
    return new Placed(head + token + pieces.get(2) + "\n}\n", head.length());
  }

  private static Placed json(Place place, String name) {
    String token = jsonString(name);
    String secret = "\"createdAt\": \"" + CREATED + "\"";
    String part = ": \"<PLAINTEXT>x\"";
    List<String> pieces =
        switch (place) {
          case HOST -> List.of("\"hosts\": {\n    ", token, ": {\"encryptionKey\": \"k\"}\n  }");
          case SHARED_SECRET ->
              List.of(
                  "\"sharedSecrets\": {\n    ",
                  token,
                  ": {\"owners\": [\"a\"], \"secret\": {" + secret + "}}\n  }");
          case OWNER ->
              List.of(
                  "\"sharedSecrets\": {\"s\": {\n    \"owners\": [",
                  token,
                  "],\n    \"secret\": {" + secret + "}}}");
          case SHARED_PART ->
              List.of(
                  "\"sharedSecrets\": {\"s\": {\"owners\": [], \"secret\": {"
                      + secret
                      + ",\n    \"parts\": {",
                  token,
                  part + "}}}}");
          case HOST_SECRETS_HOST ->
              List.of("\"hostSecrets\": {\n    ", token, ": {\"s\": {" + secret + "}}\n  }");
          case HOST_SECRET ->
              List.of("\"hostSecrets\": {\"h\": {\n    ", token, ": {" + secret + "}}}");
          case HOST_PART ->
              List.of(
                  "\"hostSecrets\": {\"h\": {\"s\": {" + secret + ",\n    \"parts\": {",
                  token,
                  part + "}}}}");
        };
    String head = "{\n  \"version\": \"0.1.0\",\n  " + pieces.get(0);
    return new Placed(head + token + pieces.get(2) + "\n}\n", head.length());
  }

  private static String nixString(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"', '\\', '$' -> b.append('\\').append(c);
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> b.append(c);
      }
    }
    return b.append('"').toString();
  }

  private static String jsonString(String s) {
    try {
      return FleetJson.mapper().writeValueAsString(s);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
