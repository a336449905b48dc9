package io.fleet.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.fleet.api.FleetConfigException;
import io.fleet.api.data.FleetData;
import io.fleet.testkit.ExternalTools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Malformed input gives a {@link FleetConfigException} with its position, never another one. */
class FleetNixMalformedTest {
  private static final String HOSTS =
      "{\n"
          + "  version = \"0.1.0\";\n"
          + "  hosts = {\n"
          + "    alpha.encryptionKey = \"ssh-ed25519 AAAA alpha\";\n"
          + "  };\n"
          + "}\n";

  private static FleetConfigException parseError(String text) {
    FleetConfigException e =
        catchThrowableOfType(FleetConfigException.class, () -> FleetNixFile.parse(text));
    assertThat(e).as("parsing %s", text).isNotNull();
    assertThat(e.source()).contains("fleet.nix");
    return e;
  }

  private static void assertErrorAt(String text, int line, int column, String... words) {
    FleetConfigException e = parseError(text);
    assertThat(e.line()).as(e.getMessage()).isEqualTo(line);
    assertThat(e.column()).as(e.getMessage()).isEqualTo(column);
    assertThat(e.getMessage()).startsWith("fleet.nix:" + line + ":" + column + ": ");
    assertThat(e.getMessage()).contains(words);
  }

  @Example
  void theBaseTextIsValid() {
    assertThat(FleetNixFile.parse(HOSTS).hostKey("alpha")).contains("ssh-ed25519 AAAA alpha");
  }

  @Example
  void truncatedFile() {
    assertErrorAt(
        HOSTS.substring(0, HOSTS.indexOf("alpha\";") + 3),
        4,
        48,
        "end of the text",
        "string that starts at line 4, column 27");
    assertErrorAt(
        HOSTS.substring(0, HOSTS.indexOf("  };")),
        5,
        1,
        "end of the text",
        "attribute set opened at line 3, column 11");
  }

  @Example
  void everyTruncationOfARealFileIsATypedError() throws IOException {
    String text = Files.readString(ExternalTools.testData("fleet-nix/shared-secrets.fleet.nix"));
    int lastBrace = text.lastIndexOf('}');
    for (int n = 0; n <= lastBrace; n++) {
      String prefix = text.substring(0, n);
      FleetConfigException e = parseError(prefix);
      assertThat(e.line()).isBetween(1, prefix.split("\n", -1).length);
      assertThat(e.column()).isPositive();
    }
  }

  @Example
  void unbalancedBraces() {
    assertErrorAt(
        "{\n  version = \"0.1.0\";\n  hosts = { };\n}\n}\n",
        5,
        1,
        "found `}` after the end of the value");
    assertErrorAt(
        "{\n  version = \"0.1.0\";\n  hosts = { a = { encryptionKey = \"k\"; };\n}\n",
        5,
        1,
        "expected `;` after the value of `hosts`, found the end of the text");
    assertErrorAt("[ 1 2 }", 1, 7, "found `}` in the list opened at line 1, column 1");
  }

  @Example
  void badEscapesAndInterpolation() {
    assertErrorAt(
        "{\n  version = \"0.1.0\";\n  x = \"a ${b} c\";\n}\n",
        3,
        10,
        "found `${`",
        "interpolation is not supported",
        "\\${");
    assertErrorAt(
        "{\n  version = \"0.1.0\";\n  x = ''\n    a ${b}\n  '';\n}\n",
        4,
        7,
        "found `${` in an indented string",
        "''${");
    assertErrorAt("{ version = \"0.1.0\"; x = \"abc\\", 1, 31, "end of the text", "string");
    assertErrorAt("{ version = \"0.1.0\"; x = ''abc''\\", 1, 34, "end of the text", "string");
    // The escapes that are not interpolation read as Nix reads them.
    FleetData ok =
        FleetNixFile.parse(
            "{ version = \"0.1.0\"; x = \"\\${a} $${b} \\\" \\\\ \\n\"; y = ''\n  ''${a} ''' ''\\n\n''; }");
    assertThat(ok.extraFields().get("x").asText()).isEqualTo("${a} $${b} \" \\ \n");
    assertThat(ok.extraFields().get("y").asText()).isEqualTo("${a} '' \n\n");
  }

  @Example
  void duplicateAttribute() {
    assertErrorAt(
        "{\n  version = \"0.1.0\";\n  hosts.a.encryptionKey = \"k1\";\n  hosts = { a.encryptionKey ="
            + " \"k2\"; };\n}\n",
        4,
        13,
        "duplicate attribute `hosts.a`",
        "already defined at line 3, column 9");
    assertErrorAt(
        "{ version = \"0.1.0\"; version = \"0.1.0\"; }",
        1,
        22,
        "duplicate attribute `version`",
        "line 1, column 3");
    assertErrorAt(
        "{ version = \"0.1.0\"; \"ca.pem\" = 1; \"ca.pem\" = 2; }",
        1,
        36,
        "duplicate attribute `\"ca.pem\"`");
  }

  @Example
  void otherVersions() {
    assertErrorAt(
        "# c\n{\n  version = \"0.2.0\";\n}\n", 3, 13, "version 0.2.0", "reads version 0.1.0 only");
    assertErrorAt("{ hosts = { }; }", 1, 1, "no `version`");
    assertErrorAt("{ version = 1; }", 1, 13, "version must be a string, found an integer");
  }

  @Example
  void unknownPartEncoding() {
    assertErrorAt(
        "{\n  version = \"0.1.0\";\n  hostSecrets.a.s = {\n    createdAt ="
            + " \"2026-01-01T00:00:00Z\";\n    secret.raw = \"<ENCRYPTED><FOO>abc\";\n  };\n}\n",
        5,
        18,
        "hostSecrets.a.s.secret",
        "unknown encoding <FOO>");
  }

  @Example
  void wrongTypesAndBadTimestamps() {
    assertErrorAt("{ version = \"0.1.0\"; hosts = [ ]; }", 1, 30, "hosts must be an attribute set");
    assertErrorAt(
        "{ version = \"0.1.0\"; hostSecrets.a.s = { createdAt = \"yesterday\"; }; }",
        1,
        54,
        "hostSecrets.a.s.createdAt is not a timestamp");
    assertErrorAt(
        "{ version = \"0.1.0\"; hostSecrets.a.s = { p.raw = \"<PLAINTEXT>x\"; }; }",
        1,
        40,
        "hostSecrets.a.s has no `createdAt`");
    assertErrorAt("[ 1 ]", 1, 1, "must be an attribute set, found a list");
  }

  @Example
  void languageBeyondData() {
    assertErrorAt("let a = 1; in { }", 1, 1, "found `let`");
    assertErrorAt("{ version = import ./v.nix; }", 1, 13, "found `import`");
    assertErrorAt("{ a, b }: { }", 1, 4, "found `,`", "function arguments");
    assertErrorAt("x: { }", 1, 1, "found `x:`", "functions");
    assertErrorAt("rec { a = 1; }", 1, 1, "found `rec`");
    assertErrorAt("{ a = with b; 1; }", 1, 7, "found `with`");
    assertErrorAt("{ inherit a; }", 1, 3, "found the keyword `inherit`");
    assertErrorAt("{ a = b; }", 1, 7, "found the identifier `b`");
    assertErrorAt("{ a = 1 + 2; }", 1, 9, "found `+`", "operators");
    assertErrorAt("{ ${\"a\"} = 1; }", 1, 3, "dynamic attribute names");
    assertErrorAt("{ a = ./x; }", 1, 7, "paths are not supported");
    assertErrorAt("{ a = <nixpkgs>; }", 1, 7, "search paths");
    assertErrorAt("{ a = 1; } /* open", 1, 12, "unterminated comment");
    assertErrorAt("{ a = [ -1 ]; }", 1, 9, "negative number in a list", "(-5)");
    assertErrorAt("{ a = 99999999999999999999; }", 1, 7, "too large");
    assertErrorAt("", 1, 1, "empty");
  }

  @Example
  void deepNestingIsATypedError() {
    String deep = "[ ".repeat(100_000) + "]".repeat(100_000);
    assertThatThrownBy(() -> FleetNixFile.parse(deep))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("nested more than");
  }

  @Property(tries = 2000)
  void arbitraryBytesGiveDataOrATypedError(@ForAll byte[] bytes) {
    parseOrTypedError(new String(bytes, StandardCharsets.UTF_8));
  }

  @Property(tries = 2000)
  void mutatedFilesGiveDataOrATypedError(@ForAll("mutated") String text) {
    parseOrTypedError(text);
  }

  @Provide
  Arbitrary<String> mutated() throws IOException {
    String base = Files.readString(ExternalTools.testData("fleet-nix/shared-secrets.fleet.nix"));
    return Arbitraries.integers()
        .between(0, base.length())
        .list()
        .ofMinSize(1)
        .ofMaxSize(4)
        .flatMap(
            cuts ->
                Arbitraries.of(FleetDataArbitraries.PIECES)
                    .list()
                    .ofSize(cuts.size())
                    .map(
                        pieces -> {
                          StringBuilder sb = new StringBuilder(base);
                          for (int i = 0; i < cuts.size(); i++) {
                            int at = Math.min(cuts.get(i), sb.length());
                            int end = Math.min(sb.length(), at + (i % 2));
                            sb.replace(at, end, pieces.get(i));
                          }
                          return sb.toString();
                        }));
  }

  private static void parseOrTypedError(String text) {
    try {
      FleetData data = FleetNixFile.parse(text);
      assertThat(FleetNixFile.parse(FleetNixFile.format(data))).isEqualTo(data);
    } catch (FleetConfigException e) {
      assertThat(e.line()).isPositive();
      assertThat(e.column()).isPositive();
    }
  }

  @Example
  void storeReportsTheFileInErrors() throws IOException {
    Path dir = Files.createTempDirectory("fleet-nix-malformed");
    Path file = dir.resolve("fleet.nix");
    Files.writeString(file, "{ version = \"0.1.0\"; hosts = { a = 1; }; }");
    assertThatThrownBy(() -> FleetNixFile.at(file).load())
        .isInstanceOf(FleetConfigException.class)
        .hasMessageStartingWith(file + ":1:36: hosts.a must be an attribute set");
    Files.delete(file);
    Files.delete(dir);
  }
}
