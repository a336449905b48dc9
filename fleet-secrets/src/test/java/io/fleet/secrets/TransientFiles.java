package io.fleet.secrets;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Watches a directory tree while a test runs (inotify through {@link WatchService}, each new
 * directory registered as it appears, and a scan of the tree every few milliseconds besides) and
 * keeps a copy of every version of every file it saw, also of files deleted before the run ends: so
 * a test can check that no temporary file ever held a secret's plaintext, not only the files that
 * survive.
 */
final class TransientFiles implements AutoCloseable {
  private static final int MAX_SIZE = 4 << 20;

  /** One version of a file seen during the run. */
  record Seen(Path path, byte[] content) {}

  private final Path root;
  private final WatchService watch;
  private final Map<WatchKey, Path> dirs = new ConcurrentHashMap<>();
  private final Map<String, Seen> seen = new ConcurrentHashMap<>();
  private final Thread thread;
  private volatile boolean running = true;

  TransientFiles(Path root) throws IOException {
    this.root = root;
    this.watch = FileSystems.getDefault().newWatchService();
    register(root);
    thread = new Thread(this::loop, "transient-files");
    thread.setDaemon(true);
    thread.start();
  }

  private void register(Path dir) {
    try {
      WatchKey key =
          dir.register(
              watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
      dirs.put(key, dir);
    } catch (IOException | ClosedWatchServiceException e) {
      // Gone already, or closing: the periodic scan covers what it can.
    }
  }

  private void loop() {
    while (running) {
      try {
        WatchKey key = watch.poll(2, TimeUnit.MILLISECONDS);
        if (key != null) {
          Path dir = dirs.get(key);
          for (WatchEvent<?> e : key.pollEvents()) {
            if (dir != null && e.context() instanceof Path name) {
              look(dir.resolve(name));
            }
          }
          key.reset();
        }
        scan();
      } catch (InterruptedException | ClosedWatchServiceException e) {
        return;
      }
    }
  }

  private void scan() {
    try (Stream<Path> s = Files.walk(root)) {
      s.forEach(this::look);
    } catch (IOException | RuntimeException e) {
      // A file vanished while walking: normal for temporary files.
    }
  }

  private void look(Path p) {
    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      if (!dirs.containsValue(p)) {
        register(p);
      }
      return;
    }
    if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try {
      if (Files.size(p) > MAX_SIZE) {
        return;
      }
      byte[] content = Files.readAllBytes(p);
      seen.putIfAbsent(p + "\0" + java.util.Arrays.hashCode(content), new Seen(p, content));
    } catch (IOException e) {
      // Deleted meanwhile, or unreadable.
    }
  }

  /** Every version of every file seen so far. */
  List<Seen> seen() {
    scan();
    return new ArrayList<>(seen.values());
  }

  /** The files whose content, in any version seen, contains {@code needle}. */
  List<Path> holding(byte[] needle) {
    List<Path> hits = new ArrayList<>();
    for (Seen s : seen()) {
      if (indexOf(s.content(), needle) >= 0) {
        hits.add(s.path());
      }
    }
    return hits;
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Override
  public void close() throws IOException {
    running = false;
    thread.interrupt();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    watch.close();
  }
}
