package io.fleet.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleet.api.FleetConfigException;
import io.fleet.api.data.FleetData;
import io.fleet.nix.internal.FleetNixCodec;
import io.fleet.nix.internal.NixValueParser;
import io.fleet.testkit.ExternalTools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The real Nix evaluator is the oracle: for the original's files, for files our writer produces
 * from random data, and for random string literals, our reader and {@code nix-instantiate --eval
 * --strict --json} give equal values (and where nix refuses a literal, so do we).
 */
class FleetNixOracleTest {
  private static Path dir;

  @BeforeContainer
  static void makeDir() throws IOException {
    dir = Files.createTempDirectory("fleet-nix-oracle");
  }

  @AfterContainer
  static void removeDir() throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @net.jqwik.api.Example
  void theOriginalsFilesEvaluateToWhatWeRead() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.list(ExternalTools.testData("fleet-nix"))) {
      files = s.filter(p -> p.toString().endsWith(".fleet.nix")).sorted().toList();
    }
    assertThat(files).hasSizeGreaterThanOrEqualTo(3);
    for (Path f : files) {
      assertSameAsNix(f, Files.readString(f));
    }
  }

  /** Attribute-path merging, numbers, comments and refusals agree with Nix. */
  @net.jqwik.api.Example
  void syntaxCornersAgreeWithNix() throws IOException {
    List<String> texts =
        List.of(
            "{ a.b = 1; a.c = 2; }",
            "{ a = { b = 1; }; a.c = 2; }",
            "{ a.c = 2; a = { b = 1; }; }",
            "{ a = { b = 1; }; a = { c = 2; }; }",
            "{ a = { b = { c = 1; }; }; a.b.d = 2; }",
            "{ a . b = 1; \"a\".\"c.d\" = 2; }",
            "{ a.b = 1; a.b = 2; }",
            "{ a = 1; a.b = 2; }",
            "{ a.b.c = 1; a = { b = { d = 2; }; }; }",
            "{ a = { b = { c = 1; }; }; a = { b = { d = 2; }; }; }",
            "{ \"\" = 1; or = 2; a-b' = 3; _x = 4; }",
            "[ 1 0.5 .5 1. 1.5e3 1.0E-5 007 (-3) (- 2.5) ]",
            "{ a = -5; b = - -5; c = -0.25; }",
            "[ 9223372036854775807 ]",
            "[ 9223372036854775808 ]",
            "[ -1 ]",
            "[ 1e5 ]",
            "[ true false null ]",
            "# comment\n{ /* c */ a = 1; # c\n b = [ /* */ ]; }",
            "{ a = 1; } /* open",
            "[ \"a\" \"b\"\"c\" ]",
            "[ ''a'' ''\n  b\n    c\n'' ]",
            "{ a = x; }");
    int i = 0;
    for (String text : texts) {
      Path f = dir.resolve("corner-" + i++ + ".nix");
      Files.writeString(f, text, StandardCharsets.UTF_8);
      NixInstantiateOracle.Result nix = NixInstantiateOracle.eval(f);
      if (nix.value == null) {
        assertThatThrownBy(() -> NixValueParser.parse(text, "corner.nix"))
            .as("nix refused %s with %s", text, nix.error)
            .isInstanceOf(FleetConfigException.class);
      } else {
        JsonNode ours = FleetNixCodec.toJson(NixValueParser.parse(text, "corner.nix"));
        assertThat(NixInstantiateOracle.difference(ours, nix.value, "$")).as(text).isEmpty();
      }
    }
    // Nix evaluates these, but they are code, not data: we refuse them.
    for (String code :
        List.of(
            "{ a = 1 + 2; }",
            "let a = 1; in a",
            "{ a = \"${\"x\"}\"; }",
            "rec { a = 1; b = a; }",
            "{ a = builtins.toString 1; }",
            "(x: x) { }",
            "with { a = 1; }; { b = a; }",
            "{ inherit ({ a = 1; }) a; }",
            "{ a = if true then 1 else 2; }",
            "{ a = [ 1 ] ++ [ 2 ]; }",
            "{ a = { b = 1; }.b; }",
            "{ ${\"a\"} = 1; }")) {
      Path f = dir.resolve("code-" + i++ + ".nix");
      Files.writeString(f, code, StandardCharsets.UTF_8);
      assertThat(NixInstantiateOracle.eval(f).error).as("nix evaluates %s", code).isNull();
      assertThatThrownBy(() -> NixValueParser.parse(code, "code.nix"))
          .as(code)
          .isInstanceOf(FleetConfigException.class)
          .hasMessageContaining("code.nix:1:");
    }
  }

  @Property(tries = 50)
  void writtenFilesEvaluateInNixToWhatWeWrote(@ForAll("fleetData") FleetData data)
      throws IOException {
    String text = FleetNixFile.format(data);
    assertThat(FleetNixFile.parse(text)).isEqualTo(data);
    Path f = dir.resolve("written.nix");
    Files.writeString(f, text, StandardCharsets.UTF_8);
    assertSameAsNix(f, text);
  }

  /**
   * A save after a load keeps the previous file's layout where it can (inline sets, the unformatted
   * layout of empty.fleet.nix, shorthand paths): whatever the previous layout, the result reads
   * back as the saved data, in our reader and in Nix.
   */
  @Property(tries = 30)
  void savesOverAnyPreviousLayoutEvaluateToWhatWeWrote(
      @ForAll("previous") String previous,
      @ForAll("fleetData") FleetData random,
      @ForAll boolean mergeWithPrevious)
      throws IOException {
    // Either unrelated data, or the previous data with random additions and changes, so that the
    // previous layout applies to much of what is saved.
    FleetData data = random;
    if (mergeWithPrevious) {
      FleetData old = FleetNixFile.parse(previous);
      data = old;
      for (var h : random.hosts().entrySet()) {
        data = data.withHostKey(h.getKey(), h.getValue().encryptionKey().orElse(""));
      }
      for (var s : random.sharedSecrets().entrySet()) {
        data = data.withSharedSecret(s.getKey(), s.getValue());
      }
      for (var h : random.hostSecrets().entrySet()) {
        for (var s : h.getValue().entrySet()) {
          data = data.withHostSecret(h.getKey(), s.getKey(), s.getValue());
        }
      }
      for (String host : old.hosts().keySet()) {
        data = data.withHostKey(host, host + " " + random.gcRootPrefix().orElse("$''\n"));
      }
    }
    Path f = dir.resolve("layout.nix");
    Files.writeString(f, previous, StandardCharsets.UTF_8);
    FleetNixFile store = FleetNixFile.at(f);
    store.load();
    store.save(data);
    String text = Files.readString(f, StandardCharsets.UTF_8);
    assertThat(FleetNixFile.parse(text)).isEqualTo(data);
    store.save(data);
    assertThat(Files.readString(f, StandardCharsets.UTF_8)).isEqualTo(text);
    assertSameAsNix(f, text);
  }

  @Provide
  Arbitrary<String> previous() throws IOException {
    List<String> files = new java.util.ArrayList<>();
    try (Stream<Path> s = Files.list(ExternalTools.testData("fleet-nix"))) {
      for (Path p : s.filter(p -> p.toString().endsWith(".fleet.nix")).sorted().toList()) {
        files.add(Files.readString(p));
      }
    }
    return Arbitraries.oneOf(
        Arbitraries.of(files), FleetDataArbitraries.fleetData().map(FleetNixFile::format));
  }

  @Provide
  Arbitrary<FleetData> fleetData() {
    return FleetDataArbitraries.fleetData();
  }

  /** String literals of both kinds with random tricky content: nix and we agree, or both refuse. */
  @Property(tries = 150)
  void stringLiteralsReadAsNixReadsThem(@ForAll("literal") String literal) throws IOException {
    Path f = dir.resolve("literal.nix");
    Files.writeString(f, literal, StandardCharsets.UTF_8);
    NixInstantiateOracle.Result nix = NixInstantiateOracle.eval(f);
    if (nix.value == null) {
      assertThatThrownBy(() -> NixValueParser.parse(literal, "literal.nix"))
          .as("nix refused %s with %s", literal, nix.error)
          .isInstanceOf(FleetConfigException.class);
      return;
    }
    JsonNode ours;
    try {
      ours = FleetNixCodec.toJson(NixValueParser.parse(literal, "literal.nix"));
    } catch (FleetConfigException e) {
      // Nix also accepts an interpolation whose code happens to be valid, such as "${ "a"}";
      // that is code, which fleet.nix refuses, and the only acceptable reason to refuse here.
      assertThat(e.getMessage()).as("literal %s", literal).contains("found `${`");
      return;
    }
    assertThat(NixInstantiateOracle.difference(ours, nix.value, "$"))
        .as("literal %s", literal)
        .isEmpty();
  }

  @Provide
  Arbitrary<String> literal() {
    Arbitrary<String> body =
        Arbitraries.of(
                "a", " ", "  ", "\n", "\n  ", "\t", "\r", "$", "{", "}", "'", "\\", "\"", "x", "n",
                "é", "😀", "''", "${", "$$")
            .list()
            .ofMaxSize(14)
            .map(l -> String.join("", l));
    return Arbitraries.oneOf(
        body.map(b -> "''" + b + "''"),
        body.map(b -> "''\n" + b + "''"),
        body.map(b -> "\"" + b + "\""),
        body.map(b -> "[ ''" + b + "'' ]"),
        body.map(b -> "{ \"" + b + "\" = 1; }"));
  }

  private static void assertSameAsNix(Path file, String text) {
    NixInstantiateOracle.Result nix = NixInstantiateOracle.eval(file);
    assertThat(nix.error).as("nix-instantiate on %s", file).isNull();
    JsonNode ours = FleetNixCodec.toJson(NixValueParser.parse(text, file.toString()));
    assertThat(NixInstantiateOracle.difference(ours, nix.value, "$")).as("%s", text).isEmpty();
  }
}
