"""CloudTasks TODO API: a FastAPI service on SQLModel, MySQL 8.4 in production, SQLite locally."""
