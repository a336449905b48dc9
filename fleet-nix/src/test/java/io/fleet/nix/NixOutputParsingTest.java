package io.fleet.nix;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleet.api.spi.BuildListener;
import io.fleet.api.spi.Evaluator;
import io.fleet.api.spi.StorePathInfo;
import io.fleet.nix.internal.NixLog;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Parsing of nix's outputs in the shapes other nix versions print (no nix needed). */
class NixOutputParsingTest {
  private static final String A = "/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-a";
  private static final String B = "/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b";

  @Test
  void pathInfoAsAListOfObjects() throws Exception {
    List<StorePathInfo> infos = new ArrayList<>();
    List<String> invalid = new ArrayList<>();
    NixEvaluator.parsePathInfo(
        new ObjectMapper()
            .readTree(
                "[{\"path\":\""
                    + A
                    + "\",\"narSize\":120,\"references\":[\""
                    + B
                    + "\"]},{\"path\":\""
                    + B
                    + "\",\"narSize\":7,\"references\":[]},"
                    + "{\"path\":\"/nix/store/cccccccccccccccccccccccccccccccc-c\",\"valid\":false}]"),
        infos,
        invalid);
    assertThat(infos)
        .containsExactly(
            StorePathInfo.builder().path(A).narSize(120).addReferences(B).build(),
            StorePathInfo.builder().path(B).narSize(7).build());
    assertThat(invalid).containsExactly("/nix/store/cccccccccccccccccccccccccccccccc-c");
  }

  @Test
  void pathInfoAsAnObjectKeyedByPathWithBaseNameReferences() throws Exception {
    List<StorePathInfo> infos = new ArrayList<>();
    List<String> invalid = new ArrayList<>();
    NixEvaluator.parsePathInfo(
        new ObjectMapper()
            .readTree(
                "{\""
                    + A
                    + "\":{\"narSize\":120,\"references\":[\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-b\"]},"
                    + "\"/nix/store/cccccccccccccccccccccccccccccccc-c\":null}"),
        infos,
        invalid);
    assertThat(infos)
        .containsExactly(StorePathInfo.builder().path(A).narSize(120).addReferences(B).build());
    assertThat(invalid).containsExactly("/nix/store/cccccccccccccccccccccccccccccccc-c");
  }

  @Test
  void internalJsonLogBecomesProgressAndReadableText() {
    List<String> progress = new ArrayList<>();
    BuildListener listener =
        (done, expected, msg) -> progress.add(done + "/" + expected + " " + msg);
    NixLog log = new NixLog(listener);
    log.accept("@nix {\"action\":\"start\",\"id\":1,\"level\":0,\"text\":\"\",\"type\":104}");
    log.accept("@nix {\"action\":\"result\",\"fields\":[0,2,0,0],\"id\":1,\"type\":105}");
    log.accept(
        "@nix {\"action\":\"start\",\"fields\":[\"/nix/store/x-b.drv\",\"\",1,1],\"id\":2,"
            + "\"level\":3,\"text\":\"building '/nix/store/x-b.drv'\",\"type\":105}");
    log.accept("@nix {\"action\":\"result\",\"fields\":[\"line one\"],\"id\":2,\"type\":101}");
    log.accept("@nix {\"action\":\"result\",\"fields\":[1,2,1,0],\"id\":1,\"type\":105}");
    log.accept(
        "@nix {\"action\":\"msg\",\"level\":0,\"msg\":\"\\u001b[31;1merror:\\u001b[0m builder for"
            + " '/nix/store/x-b.drv' failed with exit code 3\"}");
    log.accept("plain text line");
    assertThat(progress)
        .containsExactly(
            "0/2 ", "0/2 building '/nix/store/x-b.drv'", "1/2 building '/nix/store/x-b.drv'");
    assertThat(log.text())
        .isEqualTo(
            "error: builder for '/nix/store/x-b.drv' failed with exit code 3\n"
                + "       last 1 log lines:\n"
                + "       > line one\n"
                + "plain text line");
  }

  @Test
  void nixEvaluatorIsDiscoverableAsTheEvaluatorService() {
    assertThat(java.util.ServiceLoader.load(Evaluator.class, Evaluator.class.getClassLoader()))
        .anySatisfy(e -> assertThat(e).isInstanceOf(NixEvaluator.class));
  }

  @Test
  void theInnermostHostContextOfATraceIsTheHost() {
    assertThat(
            NixEvaluator.innermostHost(
                "error: boom\n\n       … while evaluating fleet host \"web-2\"\n\n"
                    + "       … while evaluating fleet host \"web-1\"\n"))
        .isEqualTo("web-2");
    assertThat(NixEvaluator.innermostHost("error: boom")).isNull();
  }
}
