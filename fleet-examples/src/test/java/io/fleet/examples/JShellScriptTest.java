package io.fleet.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * fleet.jsh runs non-interactively through jshell.sh (the README's command), with the JDK's own
 * jshell, exits 0 and prints the walkthrough's outcome; no snippet fails.
 */
class JShellScriptTest {
  @Test
  void theWalkthroughRunsToTheEndInJShell() {
    ProcessRun r =
        ProcessRun.run(
            List.of("sh", Path.of("jshell.sh").toAbsolutePath().toString(), "--batch"),
            Map.of(
                "FLEET_JSHELL_NO_BUILD",
                "1",
                "JAVA_HOME",
                Path.of(System.getProperty("java.home")).toString()),
            300);
    String all = r.out() + r.err();
    assertThat(r.exit()).as(all).isZero();
    assertThat(r.out())
        .as(all)
        .contains(
            "db-password owners (they add up): [db-1, web-1], modules [backups]",
            "fleet default: hosts [db-1, web-1, web-2], problems []",
            "with web-3: [db-1, web-1, web-2, web-3]",
            "batch 1 (canary): db-1",
            "reads back with 3 hosts",
            "@web selects [web-1, web-2]",
            "{CONFIRMED=2, ROLLED_BACK=1}",
            "web-2 is back on generation 1, web-1 is on 2",
            "\"outcome\" : \"ROLLED_BACK\"",
            "the JSON reads back: [web-2]",
            "GENERATE db-password",
            "UNCHANGED=2",
            "fleet.jsh: done");
    // jshell reports a failing snippet and carries on: none may fail.
    assertThat(all).doesNotContain("|  Error:", "|  Exception", "cannot find symbol", "SLF4J");
  }
}
