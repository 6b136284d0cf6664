/**
 * Commits this project's workflow files into the app repository (when
 * `github.commitWorkflows` is on).
 *
 * An existing file of the same path is never overwritten on create: the
 * first `pulumi up` fails with GitHub's "file exists" error instead, so a
 * hand-written workflow cannot be lost. Later updates to files this program
 * created are ordinary commits on the configured branch. Committing files
 * under `.github/workflows/` needs a token with the `workflow` scope (see
 * README "Deploy to your accounts").
 */
import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import type { WorkflowFile } from "./workflows";

export interface WorkflowFilesArgs {
  /** Repository name without the owner; the owner comes from the GitHub provider. */
  repository: string;
  /** Branch to commit to; it must exist. */
  branch: string;
  /** The files (see `appWorkflowFiles`). */
  files: WorkflowFile[];
  /** Pulumi stack, named in commit messages. */
  stack: string;
}

export class WorkflowFiles extends pulumi.ComponentResource {
  /** Paths committed, in order. */
  readonly paths: string[];
  /** Commit SHA per path after the last update. */
  readonly commitShas: Record<string, pulumi.Output<string>>;

  constructor(name: string, args: WorkflowFilesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("runbooks:github:WorkflowFiles", name, {}, opts);
    this.paths = args.files.map((f) => f.path);
    this.commitShas = {};
    for (const file of args.files) {
      this.commitShas[file.path] = WorkflowFiles.commit(name, args, file, this).commitSha;
    }
    this.registerOutputs({ paths: this.paths, commitShas: this.commitShas });
  }

  private static commit(
    name: string,
    args: WorkflowFilesArgs,
    file: WorkflowFile,
    parent: pulumi.Resource,
  ): github.RepositoryFile {
    const base = file.path.split("/").pop() ?? file.path;
    return new github.RepositoryFile(
      `${name}-${base}`,
      {
        repository: args.repository,
        branch: args.branch,
        file: file.path,
        content: file.content,
        commitMessage: `runbooks: update ${file.path} (stack ${args.stack})`,
        overwriteOnCreate: false,
      },
      { parent },
    );
  }
}
