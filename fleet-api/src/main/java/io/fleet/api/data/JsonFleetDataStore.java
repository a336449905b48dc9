package io.fleet.api.data;

import io.fleet.api.FleetConfigException;
import io.fleet.api.FleetJson;
import java.nio.file.Path;
import java.util.List;

/**
 * Fleet data as a JSON file, with the atomic saves and conflict detection of {@link
 * FileFleetDataStore}. Host, secret and part names that {@link io.fleet.api.Names} does not allow
 * are refused when the file is read, with their line and column. For the original's {@code
 * fleet.nix}, use {@code io.fleet.nix.FleetNixFile}.
 */
public class JsonFleetDataStore extends FileFleetDataStore {
  /** A store for the JSON file at {@code path}; subclasses may override {@code writeTemp}. */
  protected JsonFleetDataStore(Path path) {
    super(path);
  }

  /** A store for the JSON file at {@code path} (which need not exist yet). */
  public static JsonFleetDataStore at(Path path) {
    return new JsonFleetDataStore(path);
  }

  @Override
  protected FleetData decode(String text) {
    FleetData data;
    try {
      data = FleetJson.fromJson(text, FleetData.class);
    } catch (FleetConfigException e) {
      throw new FleetConfigException(
          path().toString(),
          Math.max(e.line(), 1),
          Math.max(e.column(), 1),
          e.problems().get(0) + "; fix the file (git diff shows what changed) and load it again");
    }
    if (!FleetData.VERSION.equals(data.version())) {
      throw new FleetConfigException(
          "fleet data "
              + path()
              + " has version "
              + data.version()
              + "; this library reads only "
              + FleetData.VERSION
              + ": use a fleet version that reads it");
    }
    JsonNameCheck.check(text, path().toString());
    return data;
  }

  @Override
  protected String encode(FleetData data) {
    List<String> problems = data.nameProblems();
    if (!problems.isEmpty()) {
      throw new FleetConfigException(
          "cannot save fleet data " + path() + ": invalid names; rename them", problems);
    }
    return FleetJson.toJson(data) + "\n";
  }
}
