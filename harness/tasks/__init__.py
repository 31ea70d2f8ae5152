"""Task specs and their registry."""

from harness.tasks.registry import TASKS, get_task, include_tasks
from harness.tasks.spec import SplitProtocol, TaskSpec

__all__ = ["TASKS", "SplitProtocol", "TaskSpec", "get_task", "include_tasks"]
