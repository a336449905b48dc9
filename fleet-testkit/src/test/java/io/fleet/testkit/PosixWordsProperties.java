package io.fleet.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.FleetException;
import io.fleet.api.spi.Shell;
import io.fleet.testkit.internal.PosixWords;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class PosixWordsProperties {
  @Property
  void shellJoinThenStrictParseGivesTheArgvBack(@ForAll @Size(min = 1, max = 8) List<String> argv) {
    if (argv.stream().anyMatch(a -> a.indexOf('\0') >= 0)) {
      // No command line can carry NUL; Shell refuses it with a typed error instead of truncating.
      assertThatThrownBy(() -> Shell.join(argv)).isInstanceOf(FleetException.class);
      return;
    }
    assertThat(PosixWords.parse(Shell.join(argv))).isEqualTo(argv);
  }

  @Test
  void rejectsWhatAShellWouldInterpret() {
    for (String bad : List.of("a;b", "$HOME", "a b  c", "`id`", "a\nb", "'open", "x*", "a\\b")) {
      assertThatThrownBy(() -> PosixWords.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(PosixWords.parse("sh -c 'echo $1; x'\\''y' ''"))
        .containsExactly("sh", "-c", "echo $1; x'y", "");
  }
}
