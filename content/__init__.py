"""Content and media: object storage (local or S3), streamed uploads, image and video
processing, and articles. Other domains store their files through `content.service`."""
