"""The order service of examples/order-service.ts, written in Python through the jsii package.

    python app.py            # synthesizes into ./cdk.out (or CDK_OUTDIR) and prints a summary

It needs only `aws-cdk-lib`, `constructs` and the `cdk-event-driven-microservice` wheel: no
esbuild, no Docker, no Node.js packages of ours (the built-in handlers ship inside the wheel).
"""
import json
import os

import aws_cdk as cdk
from aws_cdk import aws_events as events
from cdk_event_driven_microservice import (
    EventDrivenMicroservice,
    EventSource,
    EventStoreEncryption,
    EventStoreProps,
    HandlerProps,
)


class OrderServiceStack(cdk.Stack):
    def __init__(self, scope, construct_id, **kwargs):
        super().__init__(scope, construct_id, **kwargs)
        self.service = EventDrivenMicroservice(
            self,
            "OrderService",
            service_name="order-service",
            service_description="Order processing service",
            event_sources=[
                EventSource.event_bridge(
                    event_pattern=events.EventPattern(
                        source=["ecommerce.orders"],
                        detail_type=["Order Created", "Order Updated"],
                    )
                )
            ],
            command_handler=HandlerProps(
                timeout=cdk.Duration.seconds(60),
                memory_size=512,
                environment={"STAGE": "production"},
            ),
            event_store=EventStoreProps(
                table_name="order-events",
                stream_enabled=True,
                encryption=EventStoreEncryption.KMS,
                point_in_time_recovery=True,
            ),
        )


def main():
    app = cdk.App(outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))
    stack = OrderServiceStack(app, "OrderServicePy")
    assembly = app.synth()
    template = assembly.get_stack_by_name(stack.stack_name).template
    counts = {}
    for resource in template["Resources"].values():
        counts[resource["Type"]] = counts.get(resource["Type"], 0) + 1
    service = stack.service
    print(json.dumps({
        "stack": stack.stack_name,
        "template": os.path.join(assembly.directory, f"{stack.artifact_id}.template.json"),
        "resources": dict(sorted(counts.items())),
        "eventSources": service.event_sources,
        "patternsEnabled": service.patterns_enabled,
    }, indent=2))


if __name__ == "__main__":
    main()
