#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Makes seeds for tests/fuzz/fuzz-aws-xml.c: the XML answers moto 5 gives
# (ListBuckets, CreateMultipartUpload, an S3 <Error>, STS
# GetCallerIdentity, IAM GetRole and an <ErrorResponse>) and the contract
# server's EC2 ImportImage and DescribeImportImageTasks, written in the
# services' own shapes and namespaces:
#   tests/fuzz/make-corpus-aws.sh [OUTDIR]   (default tests/fuzz/corpus/aws-xml)
set -eu
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$srcdir/tests/fuzz/corpus/aws-xml}
mkdir -p "$out"
S3='xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
EC2='xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"'

seed() { cat >"$out/$1.xml"; }

seed list-buckets <<EOX
<?xml version="1.0" encoding="UTF-8"?>
<ListAllMyBucketsResult $S3><Owner><ID>bcaf1ffd86f41161ca5fb16fd081034f</ID><DisplayName>webfile</DisplayName></Owner><Buckets><Bucket><Name>ferry-import-123456789012-eu-west-1</Name><CreationDate>2026-12-06T10:00:00.000Z</CreationDate></Bucket><Bucket><Name>b2</Name><CreationDate>2026-12-06T10:00:01.000Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>
EOX
seed create-multipart-upload <<EOX
<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult $S3><Bucket>ferry-import-123456789012-eu-west-1</Bucket><Key>web1-vda.vmdk</Key><UploadId>uyCqZmMEXrzw0lR3bUtQ8QQYRdyEHCCOPhg8Gns3ZDuS7fkjqaYGUmV8WsuMK0hOcAJ3wEtpzSB2QO3n8DKB9tqeXL1BOcyoqPLqAnfx1P4d0oEJs25GGT0FsFkYdQr5</UploadId></InitiateMultipartUploadResult>
EOX
seed complete-multipart-upload <<EOX
<?xml version="1.0" encoding="UTF-8"?>
<CompleteMultipartUploadResult $S3><Location>http://127.0.0.1:5000/b/web1-vda.vmdk</Location><Bucket>b</Bucket><Key>web1-vda.vmdk</Key><ETag>"3858f62230ac3c915f300c664312c11f-2"</ETag></CompleteMultipartUploadResult>
EOX
seed list-multipart-uploads <<EOX
<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult $S3><Bucket>b</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated><Upload><Key>web1-vda.vmdk</Key><UploadId>abc</UploadId><Initiated>2026-12-06T10:00:00.000Z</Initiated></Upload><Upload><Key>web1-vdb.vmdk</Key><UploadId>def</UploadId></Upload></ListMultipartUploadsResult>
EOX
seed s3-error <<'EOX'
<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId><HostId>9Gjjt1m+cjU4OPvX9O9/8RuvnG41MRb/18Oux2o5H5MY7ISNTlXN+Dz9IG62/ILVxhAGI0qyPfg=</HostId></Error>
EOX
seed s3-error-entity-too-small <<'EOX'
<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>EntityTooSmall</Code><Message>Your proposed upload is smaller than the minimum allowed object size.</Message><ProposedSize>1024</ProposedSize><MinSizeAllowed>5242880</MinSizeAllowed><RequestId>1</RequestId></Error>
EOX
seed sts-get-caller-identity <<'EOX'
<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::123456789012:user/ferry</Arn>
    <UserId>AIDACKCEVSQ6C2EXAMPLE</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>
EOX
seed iam-get-role <<'EOX'
<GetRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><GetRoleResult><Role><Path>/</Path><AssumeRolePolicyDocument>%7B%22Version%22%3A%222012-10-17%22%7D</AssumeRolePolicyDocument><RoleId>AROA123</RoleId><RoleName>vmimport</RoleName><Arn>arn:aws:iam::123456789012:role/vmimport</Arn><CreateDate>2026-12-06T10:00:00Z</CreateDate></Role></GetRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetRoleResponse>
EOX
seed iam-error-response <<'EOX'
<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>Role vmimport not found</Message></Error><RequestId>4a0dc8e1-0e5c-4a33-9d0b-EXAMPLE</RequestId></ErrorResponse>
EOX
seed ec2-import-image <<EOX
<ImportImageResponse $EC2><requestId>5b3ea2c6-0b43-4a5e-8d8d-EXAMPLE</requestId><importTaskId>import-ami-0123456789abcdef0</importTaskId><status>active</status><progress>2</progress><statusMessage>pending</statusMessage></ImportImageResponse>
EOX
seed ec2-describe-import-image-tasks-active <<EOX
<DescribeImportImageTasksResponse $EC2><requestId>1</requestId><importImageTaskSet><item><importTaskId>import-ami-0123456789abcdef0</importTaskId><status>active</status><statusMessage>converting</statusMessage><progress>60</progress><snapshotDetailSet><item><diskImageSize>1048576</diskImageSize><format>VMDK</format><userBucket><s3Bucket>b</s3Bucket><s3Key>web1-vda.vmdk</s3Key></userBucket></item></snapshotDetailSet></item></importImageTaskSet></DescribeImportImageTasksResponse>
EOX
seed ec2-describe-import-image-tasks-completed <<EOX
<DescribeImportImageTasksResponse $EC2><requestId>2</requestId><importImageTaskSet><item><importTaskId>import-ami-0123456789abcdef0</importTaskId><status>completed</status><statusMessage></statusMessage><imageId>ami-0123456789abcdef0</imageId><bootMode>uefi</bootMode></item></importImageTaskSet></DescribeImportImageTasksResponse>
EOX
seed ec2-describe-import-image-tasks-deleted <<EOX
<DescribeImportImageTasksResponse $EC2><requestId>3</requestId><importImageTaskSet><item><importTaskId>import-ami-1</importTaskId><status>deleted</status><statusMessage>ClientError: Unsupported kernel version 5.99.0-ferry-test</statusMessage></item></importImageTaskSet></DescribeImportImageTasksResponse>
EOX
seed ec2-error <<'EOX'
<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>InvalidParameter</Code><Message>role vmimport does not exist</Message></Error></Errors><RequestID>ea966190-f9aa-478e-9ede-EXAMPLE</RequestID></Response>
EOX
seed doctype-refused <<'EOX'
<?xml version="1.0"?>
<!DOCTYPE Error [<!ENTITY a "aaaaaaaa">]>
<Error><Code>&a;</Code></Error>
EOX
echo "wrote $(ls "$out" | wc -l) seeds to $out"
