"""CloudTasks TODO API: a FastAPI service on SQLModel, MySQL 8.0 in production, SQLite locally."""
