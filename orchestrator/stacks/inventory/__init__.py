"""The serverless inventory stack: its spec (``STACK``), operations and dead-letter queues."""

from orchestrator.stacks.inventory.stack import STACK, inventory_from

__all__ = ["STACK", "inventory_from"]
