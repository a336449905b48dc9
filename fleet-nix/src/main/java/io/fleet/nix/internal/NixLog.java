package io.fleet.nix.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fleet.api.spi.BuildListener;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads nix's standard error, plain or in {@code --log-format internal-json}: turns build activity
 * into {@link BuildListener} progress, and rebuilds the human-readable text (nix's messages, and
 * for a failed builder its last log lines) for error reports.
 */
public final class NixLog implements Consumer<String> {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern ANSI = Pattern.compile("\u001b\\[[0-9;]*[A-Za-z]");
  private static final Pattern FAILED_BUILDER =
      Pattern.compile("builder for '(/[^']+\\.drv)' failed");
  private static final int ACT_BUILDS = 104;
  private static final int ACT_BUILD = 105;
  private static final int RES_BUILD_LOG_LINE = 101;
  private static final int RES_PROGRESS = 105;
  private static final int LOG_LINES_KEPT = 25;

  private final BuildListener listener;
  private final StringBuilder text = new StringBuilder();
  private final Map<Long, String> buildDrv = new HashMap<>();
  private final Map<String, Deque<String>> buildLog = new HashMap<>();
  private final Set<Long> buildsIds = new HashSet<>();
  private long done;
  private long expected = -1;
  private String lastMessage = "";

  /** A log that reports progress to {@code listener}. */
  public NixLog(BuildListener listener) {
    this.listener = listener == null ? BuildListener.NONE : listener;
  }

  @Override
  public synchronized void accept(String line) {
    if (!line.startsWith("@nix ")) {
      text.append(line).append('\n');
      return;
    }
    JsonNode event;
    try {
      event = JSON.readTree(line.substring(5));
    } catch (IOException e) {
      text.append(line).append('\n');
      return;
    }
    String action = event.path("action").asText();
    long id = event.path("id").asLong();
    int type = event.path("type").asInt(-1);
    switch (action) {
      case "msg":
        {
          String msg = strip(event.path("msg").asText());
          text.append(msg).append('\n');
          Matcher m = FAILED_BUILDER.matcher(msg);
          if (m.find()) {
            Deque<String> log = buildLog.get(m.group(1));
            if (log != null && !log.isEmpty()) {
              text.append("       last ").append(log.size()).append(" log lines:\n");
              log.forEach(l -> text.append("       > ").append(l).append('\n'));
            }
          }
          if (event.path("level").asInt(9) <= 1) {
            lastMessage = msg;
          }
          break;
        }
      case "start":
        if (type == ACT_BUILDS) {
          buildsIds.add(id);
        } else if (type == ACT_BUILD) {
          buildDrv.put(id, event.path("fields").path(0).asText());
          lastMessage = strip(event.path("text").asText());
          listener.progress(done, expected, lastMessage);
        }
        break;
      case "result":
        if (type == RES_BUILD_LOG_LINE) {
          String drv = buildDrv.get(id);
          if (drv != null) {
            Deque<String> log = buildLog.computeIfAbsent(drv, k -> new ArrayDeque<>());
            log.addLast(strip(event.path("fields").path(0).asText()));
            if (log.size() > LOG_LINES_KEPT) {
              log.removeFirst();
            }
          }
        } else if (type == RES_PROGRESS && buildsIds.contains(id)) {
          JsonNode f = event.path("fields");
          long newDone = f.path(0).asLong();
          long newExpected = f.path(1).asLong();
          if (newDone != done || newExpected != expected) {
            done = newDone;
            expected = newExpected;
            listener.progress(done, expected, lastMessage);
          }
        }
        break;
      default:
        break;
    }
  }

  /** The human-readable text nix wrote, with colours removed. */
  public synchronized String text() {
    return strip(text.toString()).strip();
  }

  static String strip(String s) {
    return ANSI.matcher(s).replaceAll("");
  }
}
