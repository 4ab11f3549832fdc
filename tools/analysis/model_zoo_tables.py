#!/usr/bin/env python
"""Print the model-zoo tables (Markdown) from the metafiles.

One table per task (image classification, object detection) with every
model of ``configs/model-index.yml``: name, config, parameters, GFLOPs,
the paper's result and its source, and (classification) the weights URI.
docs/model_zoo.md holds exactly this output (checked by the tests).

Example::

    python tools/analysis/model_zoo_tables.py [--task "Object Detection"]
"""
from mmiresnet.model_zoo import main

if __name__ == '__main__':
    main()
