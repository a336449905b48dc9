package io.fleet.api.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fleet.api.FleetException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** {@link Shell#join} against the real {@code /bin/sh}: the words come back exactly. */
class ShellProperties {

  /** Runs {@code /bin/sh -c "printf '%s\0' <joined>"} and splits its output at NULs. */
  private static List<String> throughShell(List<String> words)
      throws IOException, InterruptedException {
    String script = "printf '%s\\0' " + Shell.join(words);
    Process p = new ProcessBuilder("/bin/sh", "-c", script).redirectErrorStream(true).start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    p.getInputStream().transferTo(out);
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(script).isZero();
    String text = out.toString(StandardCharsets.UTF_8);
    List<String> back = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < text.length(); i++) {
      if (text.charAt(i) == '\0') {
        back.add(text.substring(start, i));
        start = i + 1;
      }
    }
    assertThat(start).as("output ends with a NUL").isEqualTo(text.length());
    return back;
  }

  @Property(tries = 100)
  void wordsSurviveTheShell(@ForAll("words") List<String> words) throws Exception {
    List<String> back = throughShell(words);
    assertThat(escaped(back)).isEqualTo(escaped(words));
  }

  /** Words with control and non-ASCII characters escaped, for readable failure messages. */
  private static List<String> escaped(List<String> words) {
    List<String> out = new ArrayList<>();
    for (String w : words) {
      StringBuilder sb = new StringBuilder();
      w.codePoints()
          .forEach(
              c ->
                  sb.append(
                      c < 0x20 || c > 0x7e ? String.format("\\u{%x}", c) : Character.toString(c)));
      out.add(sb.toString());
    }
    return out;
  }

  @Provide
  Arbitrary<List<String>> words() {
    Arbitrary<String> nasty =
        Arbitraries.strings()
            .withChars(" \t\n'\"$`;|&<>(){}[]*?~#=!\\%,:@+-_./aZ09")
            .withCharRange('\u00e0', '\u00ff')
            .withChars("ж日")
            .ofMaxLength(12)
            .map(s -> s.replace("ж", "😀ж"));
    Arbitrary<String> any =
        Arbitraries.strings().ofMaxLength(8).filter(s -> s.indexOf('\0') < 0 && isEncodable(s));
    return Arbitraries.oneOf(nasty, any, Arbitraries.just("")).list().ofMinSize(1).ofMaxSize(5);
  }

  /** Text that survives UTF-8 both ways (no lone surrogates). */
  private static boolean isEncodable(String s) {
    return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8).equals(s);
  }

  @Example
  void knownHardCases() throws Exception {
    List<String> words =
        Arrays.asList(
            "",
            " ",
            "it's",
            "'",
            "''",
            "\"$HOME\"",
            "$(id)",
            "`id`",
            "a;b",
            "a\nb",
            "FOO=bar",
            "~",
            "*",
            "-n",
            "\\",
            "ünïcødé",
            "#comment");
    assertThat(throughShell(words)).isEqualTo(words);
  }

  @Example
  void anAssignmentIsNotInterpretedInCommandPosition() throws Exception {
    // "FOO=bar" first would be an environment assignment, not a word, if it were not quoted.
    Process p =
        new ProcessBuilder("/bin/sh", "-c", Shell.join(List.of("FOO=bar", "true")))
            .redirectErrorStream(true)
            .start();
    p.getInputStream().readAllBytes();
    assertThat(p.waitFor()).as("'FOO=bar' runs as a command, which does not exist").isNotZero();
  }

  @Example
  void safeWordsStayReadable() {
    assertThat(
            Shell.join(
                List.of(
                    "nix-env",
                    "--profile",
                    "/nix/var/nix/profiles/system",
                    "--set",
                    "/nix/store/abc-x")))
        .isEqualTo("nix-env --profile /nix/var/nix/profiles/system --set /nix/store/abc-x");
    assertThat(Shell.quote("")).isEqualTo("''");
    assertThat(Shell.join(List.of("env", "A=b", "B=", "cmd"))).isEqualTo("env A=b B= cmd");
    assertThat(Shell.join(List.of("A=b", "B=c"))).isEqualTo("'A=b' B=c");
    assertThat(Shell.quote("it's")).isEqualTo("'it'\\''s'");
  }

  @Example
  void nulAndNullAreRefused() {
    assertThatThrownBy(() -> Shell.quote("a\0b"))
        .isInstanceOf(FleetException.class)
        .hasMessageContaining("NUL");
    assertThatThrownBy(() -> Shell.quote(null)).isInstanceOf(FleetException.class);
  }
}
