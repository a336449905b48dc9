package io.fleet.nix;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code NixEvaluator.toString()} says what it drives, without running nix. */
class NixEvaluatorToStringTest {
  @Test
  void saysWhichNixAndWhichOptions() {
    NixEvaluator nix = NixEvaluator.builder().option("substituters", "").build();
    assertThat(nix.toString())
        .startsWith("NixEvaluator{")
        .contains("--option substituters ''")
        .endsWith(", 0 systems known}");
  }
}
