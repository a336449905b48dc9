package io.fleet.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The README's first command runs {@link Demo}: here it runs in a new JVM, as {@code exec:java}
 * would, to completion, and prints the outcome the README describes, with quiet logging.
 */
class DemoTest {
  @Test
  void theDemoDeploysRollsBackWorker2AndRotatesSecrets() {
    ProcessRun r =
        ProcessRun.run(
            List.of(
                ProcessRun.jdkTool("java"),
                "-cp",
                ProcessRun.moduleClassPath(),
                "io.fleet.examples.Demo"),
            Map.of(),
            300);
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out())
        .contains(
            "== worker-2 after the rollback: generation 1, running its previous system: true,"
                + " rollback marker: false",
            "ROLLED_BACK",
            "== secrets: web-2 joins the owners of db-password",
            "web-2 decrypts db-password with its host key");
    // Quiet by default: no SLF4J provider warning, no INFO lines from sshj or the library.
    assertThat(r.err()).doesNotContain("SLF4J", "INFO");
  }
}
