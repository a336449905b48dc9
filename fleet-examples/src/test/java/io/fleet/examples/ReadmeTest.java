package io.fleet.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.fleet.api.Fleet;
import io.fleet.examples.cli.ExitCode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * The README cannot rot: it starts with the two commands (the demo, which {@link DemoTest} runs,
 * and the test command {@code .ci/run} calls), every {@code java} block is a complete compilation
 * unit that compiles against the library and its testkit, and the CLI's exit-code table lists every
 * {@link ExitCode}.
 */
class ReadmeTest {
  static final Path README = Path.of("..", "README.md");
  static final Pattern BLOCK = Pattern.compile("(?ms)^```(\\w+)\\n(.*?)^```");
  static final Pattern CLASS =
      Pattern.compile("(?m)^(?:public\\s+)?(?:final\\s+)?(?:class|interface|record)\\s+(\\w+)");

  @TempDir Path tmp;

  static List<String[]> blocks() throws IOException {
    Matcher m = BLOCK.matcher(Files.readString(README));
    List<String[]> blocks = new ArrayList<>();
    while (m.find()) {
      blocks.add(new String[] {m.group(1), m.group(2)});
    }
    return blocks;
  }

  @Test
  void startsWithTheDemoAndTheTestCommand() throws IOException {
    String readme = Files.readString(README);
    List<String[]> sh = blocks().stream().filter(b -> b[0].equals("sh")).toList();
    assertThat(sh.get(0)[1].trim())
        .isEqualTo("mvn -q -DskipTests -pl fleet-examples -am package exec:java");
    assertThat(sh.get(1)[1].trim()).isEqualTo("mvn -B verify");
    // Nothing but prose before them.
    assertThat(readme.indexOf("```")).isEqualTo(readme.indexOf("```sh\n" + sh.get(0)[1]));
    assertThat(Files.readString(Path.of("pom.xml")))
        .contains("<exec.mainClass>io.fleet.examples.Demo</exec.mainClass>");
    Path ci = Path.of("..", ".ci", "run");
    if (Files.exists(ci)) {
      assertThat(Files.readAllLines(ci)).contains("mvn -B verify");
    }
  }

  @Test
  void everyJavaBlockCompilesAgainstTheLibraryAndTestkit() throws IOException {
    List<String> javaBlocks =
        blocks().stream().filter(b -> b[0].equals("java")).map(b -> b[1]).toList();
    assertThat(javaBlocks).hasSizeGreaterThanOrEqualTo(3);
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    String classPath = System.getProperty("java.class.path");
    assertThat(classPath).contains("junit-jupiter-api", "fleet-testkit", "fleet-transport");
    int n = 0;
    for (String code : javaBlocks) {
      n++;
      Matcher c = CLASS.matcher(code);
      assertThat(c.find()).as("block %d declares a top-level class:%n%s", n, code).isTrue();
      assertThat(code).as("block %d has its imports", n).contains("import ");
      Path dir = Files.createDirectories(tmp.resolve("block-" + n));
      Path source = dir.resolve(c.group(1) + ".java");
      Files.writeString(source, code);
      StringWriter diagnostics = new StringWriter();
      int status =
          javac
                  .getTask(
                      diagnostics,
                      null,
                      null,
                      List.of(
                          "-classpath",
                          classPath,
                          "-d",
                          dir.resolve("classes").toString(),
                          "--release",
                          "17",
                          "-Xlint:all",
                          "-Werror",
                          "-proc:none"),
                      null,
                      javac
                          .getStandardFileManager(null, null, null)
                          .getJavaFileObjects(source.toFile()))
                  .call()
              ? 0
              : 1;
      assertThat(status)
          .as(
              "README java block %d (%s) must compile:%n%s%n%s",
              n, source.getFileName(), diagnostics, code)
          .isZero();
      assertThat(dir.resolve("classes").resolve(c.group(1) + ".class")).exists();
    }
  }

  /** Compiles java block {@code n} (1-based) of the README and loads its class. */
  Class<?> compileAndLoad(int n) throws Exception {
    String code = blocks().stream().filter(b -> b[0].equals("java")).toList().get(n - 1)[1];
    Matcher c = CLASS.matcher(code);
    assertThat(c.find()).isTrue();
    Path dir = Files.createDirectories(tmp.resolve("run-" + n));
    Path source = dir.resolve(c.group(1) + ".java");
    Files.writeString(source, code);
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    boolean ok =
        javac
            .getTask(
                null,
                null,
                null,
                List.of(
                    "-classpath",
                    System.getProperty("java.class.path"),
                    "-d",
                    dir.toString(),
                    "-proc:none"),
                null,
                javac.getStandardFileManager(null, null, null).getJavaFileObjects(source.toFile()))
            .call();
    assertThat(ok).isTrue();
    URLClassLoader loader =
        new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader());
    return loader.loadClass(c.group(1));
  }

  @Test
  void theReadmesJUnitExamplePasses() throws Exception {
    Class<?> test = compileAndLoad(2);
    assertThat(test.getSimpleName()).isEqualTo("WebTierTest");
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    Launcher launcher = LauncherFactory.create();
    launcher.execute(
        LauncherDiscoveryRequestBuilder.request()
            .selectors(DiscoverySelectors.selectClass(test))
            .build(),
        listener);
    TestExecutionSummary summary = listener.getSummary();
    StringWriter failures = new StringWriter();
    summary.printFailuresTo(new PrintWriter(failures), 20);
    assertThat(summary.getTestsSucceededCount()).as(failures.toString()).isEqualTo(2);
    assertThat(summary.getTotalFailureCount()).as(failures.toString()).isZero();
  }

  @Test
  void theReadmesDslExampleMergesAsTheReadmeSays() throws Exception {
    Class<?> dsl = compileAndLoad(3);
    Method m = dsl.getDeclaredMethod("fleet");
    m.setAccessible(true);
    Fleet fleet = (Fleet) m.invoke(null);
    assertThat(fleet.host("worker-1").tags()).contains("worker", "gpu");
    assertThat(fleet.sharedSecret("ca.pem").get().owners()).containsExactly("cp-1", "worker-1");
    assertThat(fleet.modules()).containsExactly("monitoring");
    assertThat(fleet.hosts()).containsKey("mon-1");
    Method more = dsl.getDeclaredMethod("withAnotherWorker", Fleet.class);
    more.setAccessible(true);
    assertThat(((Fleet) more.invoke(null, fleet)).hosts()).containsKey("worker-2");
  }

  @Test
  void theCliExitCodeTableListsEveryExitCode() throws Exception {
    String readme = Files.readString(README);
    for (Field f : ExitCode.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class) {
        assertThat(readme).as(f.getName()).contains("\n| " + f.getInt(null) + " | ");
      }
    }
  }
}
