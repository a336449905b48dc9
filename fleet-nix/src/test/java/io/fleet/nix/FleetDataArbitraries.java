package io.fleet.nix;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleet.api.data.FleetData;
import io.fleet.api.data.HostData;
import io.fleet.api.data.SecretPart;
import io.fleet.api.data.SharedSecretData;
import io.fleet.api.data.StoredSecret;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Random {@link FleetData} whose names and texts are built from the pieces that are hard for a Nix
 * writer: {@code ${}, {@code ''}, quotes, backslashes, newlines, tabs, CR, unicode (also outside
 * the BMP), comment and keyword look-alikes.
 */
final class FleetDataArbitraries {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  static final List<String> PIECES =
      List.of(
          "a",
          "Z",
          "_",
          "-",
          "0",
          "9",
          ".",
          " ",
          "  ",
          "$",
          "{",
          "}",
          "${",
          "$${",
          "''",
          "'",
          "'''",
          "''$",
          "''\\n",
          "\"",
          "\\",
          "\\$",
          "\n",
          "\n  ",
          "\t",
          "\r",
          "\r\n",
          "é",
          "日本",
          "😀",
          "𝄞",
          "#",
          "/*",
          "*/",
          ";",
          "=",
          "or",
          "let",
          "in",
          "rec",
          "ca.pem",
          "raw",
          "<",
          ">",
          "<PLAINTEXT>",
          "\u0001",
          "\u007f",
          "\u00a0");

  private static final Set<String> RESERVED_SECRET =
      Set.of("createdAt", "expiresAt", "generationData", "owners");
  private static final Set<String> RESERVED_TOP =
      Set.of("version", "gcRootPrefix", "managerKeys", "hosts", "sharedSecrets", "hostSecrets");

  private FleetDataArbitraries() {}

  /** Text made of the tricky pieces, up to {@code maxPieces} of them. */
  static Arbitrary<String> text(int maxPieces) {
    return Arbitraries.of(PIECES).list().ofMaxSize(maxPieces).map(l -> String.join("", l));
  }

  static Arbitrary<String> name() {
    return Arbitraries.oneOf(
        text(5), Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(8));
  }

  /**
   * Valid names of hosts, secrets or parts ({@link io.fleet.api.Names}), including Nix keywords and
   * names that need quoting in Nix ({@code ca.pem}, {@code 0a}, {@code a+b@c}).
   */
  static Arbitrary<String> validName(String firstChars, String extraChars) {
    Arbitrary<String> random =
        Combinators.combine(
                Arbitraries.chars().range('a', 'z').with(firstChars.toCharArray()),
                Arbitraries.strings()
                    .withCharRange('a', 'z')
                    .withChars("AZ09_-" + extraChars)
                    .ofMaxLength(10))
            .as((first, rest) -> first + rest);
    return Arbitraries.oneOf(
        random, Arbitraries.of("or", "let", "in", "rec", "0", "raw", "a-b", "x_1", "9-"));
  }

  static Arbitrary<String> hostName() {
    return validName("AZ09", "");
  }

  static Arbitrary<String> secretName() {
    return Arbitraries.oneOf(validName("AZ09_", "._+@-"), Arbitraries.of("ca.pem", "a+b@c.d"));
  }

  static Arbitrary<String> partName() {
    return Arbitraries.oneOf(
        validName("AZ09_", "._-"), Arbitraries.of("ca.pem", "secret", "public"));
  }

  static Arbitrary<Instant> instant() {
    return Combinators.combine(
            Arbitraries.longs().between(0, 4_102_444_800L),
            Arbitraries.integers().between(0, 999_999_999))
        .as(Instant::ofEpochSecond);
  }

  static Arbitrary<JsonNode> json(int depth) {
    Arbitrary<JsonNode> leaf =
        Arbitraries.oneOf(
            text(6).map(JSON::textNode),
            Arbitraries.integers().map(i -> (JsonNode) JSON.numberNode(i)),
            Arbitraries.longs()
                .filter(l -> l != (int) (long) l && l != Long.MIN_VALUE)
                .map(l -> (JsonNode) JSON.numberNode(l)),
            Arbitraries.doubles()
                .filter(d -> Double.isFinite(d) && Double.doubleToRawLongBits(d) != Long.MIN_VALUE)
                .map(d -> (JsonNode) JSON.numberNode(d)),
            Arbitraries.of(true, false).map(b -> (JsonNode) JSON.booleanNode(b)),
            Arbitraries.just(JSON.nullNode()));
    if (depth <= 0) {
      return leaf;
    }
    Arbitrary<JsonNode> array =
        json(depth - 1)
            .list()
            .ofMaxSize(3)
            .map(
                l -> {
                  ArrayNode a = JSON.arrayNode();
                  l.forEach(a::add);
                  return (JsonNode) a;
                });
    Arbitrary<JsonNode> object =
        Arbitraries.maps(name(), json(depth - 1))
            .ofMaxSize(3)
            .map(
                m -> {
                  ObjectNode o = JSON.objectNode();
                  m.forEach(o::set);
                  return (JsonNode) o;
                });
    return Arbitraries.oneOf(leaf, leaf, leaf, array, object);
  }

  static Arbitrary<SecretPart> part() {
    return Arbitraries.oneOf(
        text(12).map(SecretPart::plaintext),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(200).map(SecretPart::encrypted),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(40).map(SecretPart::plaintext));
  }

  static Arbitrary<StoredSecret> secret(boolean shared) {
    Arbitrary<Map<String, SecretPart>> parts =
        Arbitraries.maps(partName().filter(n -> !RESERVED_SECRET.contains(n)), part()).ofMaxSize(3);
    Arbitrary<Map<String, JsonNode>> extras =
        Arbitraries.maps(
                name().filter(n -> !RESERVED_SECRET.contains(n)),
                json(1).filter(j -> !(j.isObject() && j.has("raw"))))
            .ofMaxSize(1);
    return Combinators.combine(
            instant(), instant().injectNull(0.5), json(2).injectNull(0.5), parts, extras)
        .as(
            (created, expires, gen, p, x) -> {
              StoredSecret.Builder b = StoredSecret.builder().createdAt(created).putAllParts(p);
              if (expires != null) {
                b.expiresAt(expires);
              }
              if (gen != null) {
                b.generationData(gen);
              }
              x.forEach(
                  (k, v) -> {
                    if (!p.containsKey(k)) {
                      b.putExtraFields(k, v);
                    }
                  });
              return b.build();
            });
  }

  static Arbitrary<FleetData> fleetData() {
    Arbitrary<Map<String, HostData>> hosts =
        Arbitraries.maps(
                hostName(),
                Combinators.combine(
                        text(8).injectNull(0.2),
                        Arbitraries.maps(name().filter(n -> !n.equals("encryptionKey")), json(1))
                            .ofMaxSize(1))
                    .as(
                        (k, x) -> {
                          HostData.Builder b = HostData.builder().putAllExtraFields(x);
                          if (k != null) {
                            b.encryptionKey(k);
                          }
                          return b.build();
                        }))
            .ofMaxSize(3);
    Arbitrary<Map<String, SharedSecretData>> shared =
        Arbitraries.maps(
                secretName(),
                Combinators.combine(hostName().list().uniqueElements().ofMaxSize(3), secret(true))
                    .as(SharedSecretData::of))
            .ofMaxSize(2);
    Arbitrary<Map<String, Map<String, StoredSecret>>> hostSecrets =
        Arbitraries.maps(
                hostName(),
                Arbitraries.maps(secretName(), secret(false))
                    .ofMaxSize(2)
                    .map(m -> new TreeMap<>(m)))
            .ofMaxSize(2)
            .map(
                m ->
                    (Map<String, Map<String, StoredSecret>>)
                        new TreeMap<String, Map<String, StoredSecret>>(m));
    Arbitrary<Map<String, JsonNode>> extras =
        Arbitraries.maps(name().filter(n -> !RESERVED_TOP.contains(n)), json(2)).ofMaxSize(2);
    return Combinators.combine(
            text(6).injectNull(0.2),
            json(1).list().ofMaxSize(2),
            hosts,
            shared,
            hostSecrets,
            extras)
        .as(
            (gc, keys, h, s, hs, x) -> {
              FleetData.Builder b =
                  FleetData.builder()
                      .addAllManagerKeys(keys)
                      .putAllHosts(h)
                      .putAllSharedSecrets(s)
                      .putAllHostSecrets(hs)
                      .putAllExtraFields(x);
              if (gc != null) {
                b.gcRootPrefix(gc);
              }
              return b.build();
            });
  }
}
