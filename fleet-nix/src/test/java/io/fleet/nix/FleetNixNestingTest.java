package io.fleet.nix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.FleetConfigException;
import io.fleet.api.data.FleetData;
import io.fleet.nix.internal.NixValueParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * One depth limit ({@link NixValueParser#MAX_DEPTH}) for every way of nesting: sets, lists,
 * parentheses and attribute paths, checked while reading, so that whatever loads can be saved and
 * read back, and anything deeper is a typed error (never a {@link StackOverflowError}).
 */
class FleetNixNestingTest {
  private static final int LIMIT = NixValueParser.MAX_DEPTH;

  /** One way of nesting; a path of n segments nests n levels. */
  enum Kind {
    SET,
    LIST,
    PARENS,
    PATH
  }

  /**
   * {@code { version = "0.1.0"; x = V; }} where V nests with {@code kinds} (cycled) until the file
   * is {@code depth} levels deep: the top set is level 1, the innermost {@code 1} counts too.
   */
  static String nested(int depth, List<Kind> kinds, int pathLength) {
    StringBuilder open = new StringBuilder();
    StringBuilder close = new StringBuilder();
    int remaining = depth - 2; // the top set, and the leaf
    for (int i = 0; remaining > 0; i++) {
      Kind k = kinds.get(i % kinds.size());
      switch (k) {
        case SET -> {
          open.append("{ a = ");
          close.insert(0, "; }");
          remaining--;
        }
        case LIST -> {
          open.append("[ ");
          close.insert(0, " ]");
          remaining--;
        }
        case PARENS -> {
          open.append("(");
          close.insert(0, ")");
          remaining--;
        }
        case PATH -> {
          int n = Math.min(pathLength, remaining);
          open.append("{ ").append("p.".repeat(n - 1)).append("p = ");
          close.insert(0, "; }");
          remaining -= n;
        }
      }
    }
    return "{ version = \"0.1.0\"; x = " + open + "1" + close + "; }\n";
  }

  @Property(tries = 200)
  void anyMixUpToTheLimitLoadsSavesAndLoadsAgain(
      @ForAll("kinds") List<Kind> kinds,
      @ForAll @IntRange(min = 2, max = 8) int pathLength,
      @ForAll @IntRange(min = 2, max = LIMIT) int depth)
      throws Exception {
    String text = nested(depth, kinds, pathLength);
    FleetData data = FleetNixFile.parse(text);
    String saved = FleetNixFile.format(data);
    assertThat(FleetNixFile.parse(saved)).isEqualTo(data);
    // Through the store too: a load and a save of what was loaded.
    Path file = Files.createTempFile("fleet-nesting", ".nix");
    try {
      Files.writeString(file, text);
      FleetNixFile store = FleetNixFile.at(file);
      store.save(store.load());
      assertThat(FleetNixFile.at(file).load()).isEqualTo(data);
    } finally {
      Files.delete(file);
    }
  }

  @Property(tries = 200)
  void anyMixPastTheLimitIsATypedError(
      @ForAll("kinds") List<Kind> kinds,
      @ForAll @IntRange(min = 2, max = 8) int pathLength,
      @ForAll @IntRange(min = LIMIT + 1, max = LIMIT + 400) int depth) {
    String text = nested(depth, kinds, pathLength);
    assertThatThrownBy(() -> FleetNixFile.parse(text))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("nested more than " + LIMIT + " levels");
  }

  @Example
  void aHundredThousandPathSegmentsAreATypedError() {
    String text = "{ version = \"0.1.0\"; x" + ".a".repeat(100_000) + " = 1; }";
    assertThatThrownBy(() -> FleetNixFile.parse(text))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("nested more than " + LIMIT + " levels");
  }

  @Example
  void aPathPastTheLimitIsRefusedOnLoadNotOnSave() {
    // The review's case: 250 segments loaded, then could not be saved.
    String text = "{ version = \"0.1.0\"; x" + ".a".repeat(249) + " = 1; }";
    assertThatThrownBy(() -> FleetNixFile.parse(text))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("nested more than " + LIMIT + " levels");
    // Exactly at the limit: the top set, LIMIT - 2 segments and the value.
    String atLimit = "{ version = \"0.1.0\"; x" + ".a".repeat(LIMIT - 3) + " = 1; }";
    FleetData data = FleetNixFile.parse(atLimit);
    assertThat(FleetNixFile.parse(FleetNixFile.format(data))).isEqualTo(data);
  }

  @Example
  void deepJsonDataCannotBeSavedAsFleetNixDeeperThanItCanBeRead() {
    String json = "[".repeat(LIMIT) + "]".repeat(LIMIT);
    FleetData data =
        FleetData.builder()
            .putExtraFields(
                "x",
                io.fleet.api.FleetJson.fromJson(
                    json, com.fasterxml.jackson.databind.JsonNode.class))
            .build();
    assertThatThrownBy(() -> FleetNixFile.format(data))
        .isInstanceOf(FleetConfigException.class)
        .hasMessageContaining("nested more than " + LIMIT + " levels");
  }

  @Provide
  Arbitrary<List<Kind>> kinds() {
    return Arbitraries.of(Kind.class).list().ofMinSize(1).ofMaxSize(12);
  }
}
