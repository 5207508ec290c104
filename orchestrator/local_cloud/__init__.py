"""The local cloud: moto in server mode on a loopback port, extended in its own process.

``control`` starts, finds and stops it (``up``/``down``/``status``); ``server`` is the process.
Besides moto's AWS APIs, the server answers:

- ``/_api/<api_id>/<path>``: the HTTP APIs stored in apigatewayv2 (payload format 2.0, CORS);
  each API's ``api_endpoint`` is this URL, so Terraform outputs work locally;
- ``/_website/<bucket>/<key>``: buckets that have a website configuration;
- ``/_local/health``, ``/_local/sns/messages`` (GET, ``?topic_arn=``; DELETE clears),
  ``/_local/lambda/invocations``.

Lambda functions run from their real zip in warm worker processes (``lambda_runtime``), with
their timeout and memory size enforced, for the Invoke API, asynchronous invocations (S3
notifications, InvocationType=Event: retries, event invoke config destinations, reserved
concurrency; ``lambda_async``), DynamoDB stream and SQS event source mappings (background
pollers, batches, retries, on-failure destinations; ``event_sources``) and the HTTP APIs; their
logs go to ``/aws/lambda/<name>`` as on AWS.
The default account has Learner Lab's ``LabRole`` (``lab_role``), and tags die with their
resource (``deleted_resource_tags``).
"""
