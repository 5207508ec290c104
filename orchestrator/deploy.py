"""Plan, apply and destroy one stack on one target: the orchestrator's main flows."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator import state_backend, var_check
from orchestrator.apply_progress import brief_plan
from orchestrator.cost import CostEstimate, estimate
from orchestrator.generated_root import GeneratedRoot, hand_run_plan_lines
from orchestrator.run_reporter import TerraformReporter
from orchestrator.saved_settings import SavedSettings, listed, not_saved
from orchestrator.stack_spec import Say, StackError, StackSpec, forced_lab_role
from orchestrator.targets import Target
from orchestrator.terraform import (
    MIRROR_CONFIG_NAME,
    MIRROR_ENV,
    VAR_FILE_NAME,
    PlanSummary,
    Terraform,
)
from orchestrator.workspace import StackWorkspace, work_root

# Next to a saved plan, what it was made for: a plan carries its own state's place, so applied
# elsewhere it would change another environment while this one's outputs are printed.
PLAN_RECORD_SUFFIX = ".orchestrate.json"


def plan_record_path(plan: Path) -> Path:
    return plan.with_name(plan.name + PLAN_RECORD_SUFFIX)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class StackRun:
    """A stack bound to a target and an environment, with its own state and files."""

    spec: StackSpec
    target: Target
    environment: str
    sink: Say
    # Copy an existing state over when the state's place changed (local file <-> S3 bucket).
    migrate_state: bool = False
    # Local target: False runs the TODO app under uvicorn, asked for with --no-docker.
    use_docker: bool = True
    # Every terraform event printed (as before the progress line); the log file gets them anyway.
    verbose: bool = False
    _reporter: TerraformReporter | None = field(default=None, init=False, repr=False)

    def say(self, line: str) -> None:
        self.sink(line)

    @property
    def workspace(self) -> StackWorkspace:
        return StackWorkspace(work_root(), self.target.name, self.environment, self.spec.name)

    @property
    def settings(self) -> SavedSettings:
        """The ``--var`` values saved for this stack, target and environment."""
        return SavedSettings(work_root(), self.target.name, self.environment, self.spec.name)

    @property
    def root(self) -> GeneratedRoot:
        """The copy of the stack's root that terraform runs in, under the work dir."""
        return GeneratedRoot(self.spec.config_dir, self.workspace.config_dir)

    def terraform(self) -> Terraform:
        return Terraform(
            self.root.write(self.say),
            self.workspace.dir,
            env=self.target.env,
            on_line=self._progress if self.verbose else None,
            observer=self.reporter(),
        )

    def reporter(self, command: str = "terraform") -> TerraformReporter:
        """The progress line and log file of this run's terraform commands: one log per
        command of the orchestrator (the first flow called names it)."""
        if self._reporter is None:
            path = self.workspace.new_log_path(command)
            self._reporter = TerraformReporter(path, self.say, verbose=self.verbose)
        return self._reporter

    def _show_plan(self, summary: PlanSummary) -> None:
        """The plan's summary: every address in the log, the gist on screen."""
        self.reporter().note(summary.render(), brief=brief_plan(summary))

    def _progress(self, line: str) -> None:
        self.say(f"  {line}")

    def _init(self) -> Terraform:
        tf = self.terraform()
        self.say(f"terraform init ({self.spec.name}, target {self.target.name})...")
        self.root.copy_lock_in()
        state_backend.init(
            tf, self.workspace, self.target, say=self.say, migrate=self.migrate_state
        )
        self.root.check_lock(self.say)
        return tf

    def hand_run_plan(self) -> list[str]:
        """Shell lines that plan the committed root by hand with the variables of the last
        plan (a reviewer's check, from an empty state: everything shows as new)."""
        mirror = os.environ.get(MIRROR_ENV)
        return hand_run_plan_lines(
            self.spec.config_dir,
            self.workspace.dir / VAR_FILE_NAME,
            self.target.env,
            data_dir=self.workspace.hand_run_data_dir,
            emulated=self.target.endpoint_url is not None,
            mirror_config=self.workspace.dir / MIRROR_CONFIG_NAME if mirror else None,
        )

    # ------------------------------------------------------------------ flows
    def check_variables(self, user_vars: dict[str, Any]) -> dict[str, Any]:
        """The saved settings under the ``--var`` values this stack declares, refused here
        (before packaging, init and the image) when terraform would refuse them; ``deploy all``
        gives both stacks one set."""
        given = var_check.own_variables(self.spec.config_dir, user_vars)
        saved = self.settings.usable(self.spec.config_dir)
        own = {**saved, **given}
        # Outside the state's folder, which would otherwise look like a deploy of this env.
        work_dir = work_root() / "var-check" / self.target.name / self.environment / self.spec.name
        values = {
            "region": self.target.region,
            "environment": self.environment,
            **self.spec.stand_ins(work_dir),
            **own,
            # As prepare resolves it; a role found later is an ARN, which the modules accept.
            "lab_role_arn": forced_lab_role(own),
        }
        try:
            var_check.check_values(self.spec.config_dir, work_dir, values, env=self.target.env)
        except var_check.InvalidVariableError as error:
            kept = {name: saved[name] for name in saved if name not in given}
            if kept:
                error.hint = (
                    f"saved for {self.settings.label}: {listed(kept)}; give another value with "
                    f"--var, or remove one with '{self.settings.command('--unset NAME')}'"
                )
            raise
        return own

    def save_settings(self, user_vars: dict[str, Any]) -> None:
        """Save this stack's ``--var`` values for the next runs, saying what changes."""
        given = var_check.own_variables(self.spec.config_dir, user_vars)
        saved = self.settings.load()
        kept = {name: saved[name] for name in saved if name not in given}
        if kept:
            self.say(f"Saved settings ({self.settings.label}): {listed(kept)}")
        for line in self.settings.save(given, skip=not_saved(self.spec)):
            self.say(line)

    def plan(self, user_vars: dict[str, Any], out: Path | None = None) -> tuple[Path, PlanSummary]:
        self.reporter("plan")
        checked = self.check_variables(user_vars)
        self.save_settings(user_vars)
        self.spec.preflight(self, checked)
        variables = self.spec.prepare(self, checked)
        tf = self._init()
        variables = self.spec.before_plan(self, variables)
        plan_path = (out or self.workspace.plan_path).resolve()
        self.say("terraform plan...")
        summary = tf.plan(variables, plan_path)
        self._record_plan(plan_path)
        self._remember(variables)
        return plan_path, summary

    def deploy(self, user_vars: dict[str, Any], plan_file: Path | None = None) -> dict[str, Any]:
        self.reporter("deploy")
        if plan_file is not None:
            self.check_saved_plan(plan_file)
            tf = self._init()
            self.say(f"Applying the saved plan {plan_file} exactly...")
            shown = tf.show_plan(plan_file.resolve())
            self._check_planned_environment(plan_file, shown)
            planned = {
                name: entry.get("value") for name, entry in shown.get("variables", {}).items()
            }
            self.spec.preflight(self, planned)
            self._show_plan(PlanSummary.from_plan_json(shown))
            self._say_cost(shown)
            tf.apply(plan_file.resolve())
        else:
            plan_path, summary = self.plan(user_vars)
            self._show_plan(summary)
            tf = self.terraform()
            if summary.has_changes:
                if self.target.name == "aws":
                    self._say_cost(tf.show_plan(plan_path))
                self.say("terraform apply...")
                tf.apply(plan_path)
        outputs = self.spec.finish(self, tf.output())
        self.workspace.outputs_path.write_text(json.dumps(outputs, indent=2, sort_keys=True))
        return outputs

    def _say_cost(self, plan: dict[str, Any]) -> None:
        """Before an apply on AWS: what the stack costs while it stands (Learner Lab budgets)."""
        if self.target.name != "aws":
            return
        try:
            self.say(estimate(plan).render_short())
        except (KeyError, TypeError, ValueError) as error:  # an estimate never stops a deploy
            self.say(f"(no cost estimate: {error!r})")

    def cost(
        self, user_vars: dict[str, Any], plan_file: Path | None = None
    ) -> tuple[CostEstimate, str]:
        """The idle cost of a saved plan, of the applied state, or (with ``user_vars``, or before
        the first deploy) of a fresh plan that creates nothing; and what it was read from."""
        self.reporter("cost")
        if plan_file is not None:
            if not plan_file.exists():
                raise StackError(f"plan file {plan_file} does not exist")
            tf = self._init()
            return estimate(tf.show_plan(plan_file.resolve())), f"the saved plan {plan_file}"
        if not user_vars and state_backend.might_hold_state(self.workspace):
            tf = self._init()
            if tf.state_resources():
                return estimate(tf.show_state()), "the applied state"
        variables = self.spec.prepare(self, self.check_variables(user_vars))
        tf = self._init()
        # No first phase (it would create the image registry): stand-ins for what it makes.
        for key, value in self.spec.estimate_vars.items():
            if variables.get(key) is None:
                variables[key] = value
        plan_path = self.workspace.dir / "cost-estimate.tfplan"
        self.say("terraform plan (for the estimate only)...")
        try:
            tf.plan(variables, plan_path)
            return estimate(tf.show_plan(plan_path)), "a plan of the current configuration"
        finally:
            plan_path.unlink(missing_ok=True)

    def destroy(self) -> bool:
        """Destroy what the state holds; False when there was nothing to destroy."""
        self.reporter("destroy")
        self.spec.after_destroy(self)
        if not state_backend.might_hold_state(self.workspace):
            return False
        tf = self._init()
        if not tf.state_resources():
            self._forget()
            return False
        variables = self._remembered()
        if variables is None:
            variables = self.spec.prepare(self, self._settings_for_destroy())
        self.say(f"terraform destroy ({self.spec.name}, target {self.target.name})...")
        tf.destroy(variables)
        self._forget()
        saved = self.settings.load()
        if saved:
            self.say(
                f"Saved settings kept for the next deploy ({self.settings.label}): "
                f"{listed(saved)}; remove them with '{self.settings.command('--unset-all')}'"
            )
        return True

    def _settings_for_destroy(self) -> dict[str, Any]:
        """The saved values the stack still declares: a stale one never blocks a teardown."""
        declared = set(var_check.declared_variables(self.spec.config_dir))
        saved = self.settings.load()
        stale = sorted(set(saved) - declared)
        if stale:
            self.say(f"Ignoring saved settings the stack no longer declares: {', '.join(stale)}")
        return {name: value for name, value in saved.items() if name in declared}

    def outputs(self) -> dict[str, Any]:
        path = self.workspace.outputs_path
        if not path.exists():
            raise StackError(
                f"the {self.spec.name} stack has no outputs for target {self.target.name}, "
                f"environment {self.environment}: deploy it first with "
                f"'python orchestrate.py deploy {self.spec.name}'"
            )
        result: dict[str, Any] = json.loads(path.read_text())
        return result

    # ------------------------------------------------------------ saved plans
    def _made_for(self) -> dict[str, str]:
        return {
            "stack": self.spec.name,
            "target": self.target.name,
            "environment": self.environment,
        }

    def _record_plan(self, plan_path: Path) -> None:
        record = {**self._made_for(), "sha256": _sha256(plan_path)}
        plan_record_path(plan_path).write_text(json.dumps(record, indent=2, sort_keys=True))

    def _plan_again(self, plan_file: Path) -> str:
        return (
            f"'python orchestrate.py plan {self.spec.name} --target {self.target.name} "
            f"--env {self.environment} --out {plan_file}'"
        )

    def check_saved_plan(self, plan_file: Path) -> None:
        """Refuse a saved plan made for another stack, target or environment, or changed since
        (no terraform and no cloud needed: the command line checks it first)."""
        if not plan_file.exists():
            raise StackError(f"plan file {plan_file} does not exist")
        record_path = plan_record_path(plan_file)
        this = self._made_for()
        if not record_path.exists():
            raise StackError(
                f"refused to apply {plan_file}: nothing records which stack, target and "
                f"environment it was made for ('plan' writes {record_path.name} next to it); "
                f"nothing was applied. Make a plan for {_describe(this)} with "
                f"{self._plan_again(plan_file)}"
            )
        try:
            record = json.loads(record_path.read_text())
            made_for = {key: str(record[key]) for key in this}
        except (json.JSONDecodeError, KeyError, TypeError):
            raise StackError(
                f"refused to apply {plan_file}: its record {record_path} is unreadable; nothing "
                f"was applied. Make the plan again with {self._plan_again(plan_file)}"
            ) from None
        if made_for != this:
            raise StackError(
                f"refused to apply {plan_file}: it was made for {_describe(made_for)}, and this "
                f"deploy is for {_describe(this)}; nothing was applied. Apply it where it "
                f"belongs with 'python orchestrate.py deploy {made_for['stack']} --target "
                f"{made_for['target']} --env {made_for['environment']} --plan {plan_file}', "
                f"or make a plan for this deploy with {self._plan_again(plan_file)}"
            )
        if record.get("sha256") != _sha256(plan_file):
            raise StackError(
                f"refused to apply {plan_file}: it changed since 'plan' saved it for "
                f"{_describe(this)}; nothing was applied. Make the plan again with "
                f"{self._plan_again(plan_file)}"
            )

    def _check_planned_environment(self, plan_file: Path, plan: dict[str, Any]) -> None:
        """Terraform's own record of the plan agrees (its ``environment`` variable)."""
        planned = plan.get("variables", {}).get("environment", {}).get("value")
        if planned is not None and planned != self.environment:
            raise StackError(
                f"refused to apply {plan_file}: terraform planned it with environment "
                f"{planned!r}, and this deploy is for {self.environment!r}; nothing was applied. "
                f"Make a plan for it with {self._plan_again(plan_file)}"
            )

    # ------------------------------------------------------------ bookkeeping
    def _remember(self, variables: dict[str, Any]) -> None:
        self.workspace.meta_path.write_text(json.dumps(variables, indent=2, sort_keys=True))

    def _remembered(self) -> dict[str, Any] | None:
        path = self.workspace.meta_path
        if not path.exists():
            return None
        variables: dict[str, Any] = json.loads(path.read_text())
        # Files named by the stack's package variables (zips) may be gone; then prepare them
        # again.
        for name in self.spec.package_vars:
            value = variables.get(name)
            paths = value.values() if isinstance(value, dict) else [value]
            if any(not isinstance(path, str) or not Path(path).exists() for path in paths):
                return None
        return variables

    def _forget(self) -> None:
        for path in (
            self.workspace.outputs_path,
            self.workspace.plan_path,
            plan_record_path(self.workspace.plan_path),
        ):
            path.unlink(missing_ok=True)


def _describe(made_for: dict[str, str]) -> str:
    return f"stack {made_for['stack']}, target {made_for['target']}, env {made_for['environment']}"
