import { afterEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { SECRET_PASSWORD, SECRET_TOKEN, SECRET_USERNAME, hostConfiguration, type HostInputs } from "../src/hostSetup";
import { setWorkspace } from "./fake-vscode";

const inputs = (settings: Record<string, string | undefined>, secrets: Record<string, string> = {}): HostInputs => ({
  setting: (key) => settings[key],
  secret: async (key) => secrets[key],
});

afterEach(() => setWorkspace(undefined));

describe("the host's configuration from the settings (configure)", () => {
  it("a tracking server wins over a local store", async () => {
    setWorkspace("/ws");
    const { init } = await hostConfiguration(inputs({ trackingUri: " http://mlflow:5000 ", store: "mlflow.db" }));
    expect(init).toMatchObject({ trackingUri: "http://mlflow:5000", store: null, workspaceFolders: ["/ws"], clientName: "vscode 1.100.3", userName: null });
  });

  it("a store path: ~ is the home folder, a relative one is under the first workspace folder, nothing is nothing", async () => {
    const home = process.env.HOME;
    process.env.HOME = "/home/ada";
    try {
      setWorkspace("/ws/app");
      expect((await hostConfiguration(inputs({ store: "~/runs/mlflow.db" }))).init.store).toBe(join("/home/ada", "runs/mlflow.db"));
      expect((await hostConfiguration(inputs({ store: "data/mlflow.db" }))).init.store).toBe(join("/ws/app", "data/mlflow.db"));
      expect((await hostConfiguration(inputs({ store: "/abs/mlflow.db" }))).init.store).toBe("/abs/mlflow.db");
      expect((await hostConfiguration(inputs({ store: "  " }))).init).toMatchObject({ store: null, trackingUri: null });
    } finally {
      process.env.HOME = home;
    }
  });

  it("credentials reach the host's environment only, never initialize (which logs and the UI see)", async () => {
    const secrets = { [SECRET_USERNAME]: "ada", [SECRET_PASSWORD]: "hunter2-secret", [SECRET_TOKEN]: "tok-secret-9" };
    const { init, env } = await hostConfiguration(inputs({ trackingUri: "https://mlflow.example", userName: " Ada L. " }, secrets));
    expect(env).toEqual({ MLFLOW_TRACKING_USERNAME: "ada", MLFLOW_TRACKING_PASSWORD: "hunter2-secret", MLFLOW_TRACKING_TOKEN: "tok-secret-9" });
    const wire = JSON.stringify(init);
    expect(wire).not.toContain("hunter2-secret");
    expect(wire).not.toContain("tok-secret-9");
    expect(init.userName).toBe("Ada L.");
    // None stored: nothing set, so the host falls back to its own environment.
    expect((await hostConfiguration(inputs({ trackingUri: "https://mlflow.example" }))).env).toEqual({});
  });
});
